using System.Collections.Concurrent;

namespace ImageUpdate.Platform.FileSystem;

/// <summary>
/// The seam that lets a test see the syncs happen rather than trust that a call returned: while a
/// recorder is open, every fsync, syncfs and sync that <see cref="Durability"/> completes on the same
/// async flow is listed here, in order. Nothing else changes: without a recorder nothing is kept.
/// </summary>
internal sealed class SyncRecorder : IDisposable
{
    private static readonly AsyncLocal<SyncRecorder?> Current = new();

    private readonly ConcurrentQueue<SyncCall> _calls = new();
    private readonly SyncRecorder? _previous;

    private SyncRecorder(SyncRecorder? previous) => _previous = previous;

    /// <summary>The syncs so far, oldest first.</summary>
    public IReadOnlyList<SyncCall> Calls => [.. _calls];

    /// <summary>Starts recording on the calling flow (and the tasks it starts) until disposed.</summary>
    public static SyncRecorder Start()
    {
        var recorder = new SyncRecorder(Current.Value);
        Current.Value = recorder;
        return recorder;
    }

    public void Dispose() => Current.Value = _previous;

    internal static void Record(string call, string path) => Current.Value?._calls.Enqueue(new SyncCall(call, path));
}
