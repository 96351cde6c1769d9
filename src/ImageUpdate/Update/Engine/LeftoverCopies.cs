using System.Globalization;
using ImageUpdate.Update.Delta;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Update.Engine;

/// <summary>
/// Copies earlier attempts left in regular-file targets, held open by transfer: making room unlinks
/// their names, the open descriptors keep their bytes until <see cref="Dispose"/> (after the writes),
/// and each is a seed through its /proc/self/fd link, which opens the same file after the unlink.
/// A crash in between frees them with the process: nothing is left to clean up.
/// </summary>
internal sealed class LeftoverCopies : IDisposable
{
    private readonly Dictionary<string, List<SafeFileHandle>> _held = new(StringComparer.Ordinal);

    public void Add(string transferId, SafeFileHandle handle)
    {
        if (!_held.TryGetValue(transferId, out var list))
        {
            _held[transferId] = list = [];
        }

        list.Add(handle);
    }

    /// <summary>The seeds of one transfer: its held copies as /proc/self/fd/N, chunked like any seed of unknown content.</summary>
    public IEnumerable<Seed> SeedsFor(string transferId) =>
        _held.TryGetValue(transferId, out var list)
            ? list.Select(h => new Seed("/proc/self/fd/" + h.DangerousGetHandle().ToString(CultureInfo.InvariantCulture)))
            : [];

    public void Dispose()
    {
        foreach (var handle in _held.Values.SelectMany(l => l))
        {
            handle.Dispose();
        }

        _held.Clear();
    }
}
