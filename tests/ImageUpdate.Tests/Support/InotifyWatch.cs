using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace ImageUpdate.Tests.Support;

/// <summary>
/// inotify(7) on one path, for tests that must know whether something was opened or created without
/// waiting to see if it happens: the kernel records each event as it occurs, and the test reads the
/// list afterwards (or waits for a count of events) instead of watching a clock.
/// </summary>
public sealed partial class InotifyWatch : IDisposable
{
    public const uint Access = 0x1;
    public const uint Open = 0x20;
    public const uint Create = 0x100;
    public const uint IsDirectory = 0x40000000;

    private const int NonBlocking = 0x800;
    private const int CloseOnExec = 0x80000;
    private const int EAgain = 11;

    private readonly int _fd;
    private readonly List<(uint Mask, string Name)> _events = [];

    public InotifyWatch(string path, uint mask)
    {
        _fd = Init(NonBlocking | CloseOnExec);
        if (_fd < 0 || AddWatch(_fd, path, mask) < 0)
        {
            throw new IOException($"inotify on {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Every event so far, oldest first: the mask and, for an entry of a watched directory, its name ("" for the directory itself).</summary>
    public IReadOnlyList<(uint Mask, string Name)> Events
    {
        get
        {
            Drain();
            return [.. _events];
        }
    }

    /// <summary>Waits until <paramref name="enough"/> holds for the events so far, checking a bounded number of times.</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<(uint Mask, string Name)>, bool> enough, string what)
    {
        for (var attempt = 0; attempt < 6000; attempt++)
        {
            if (enough(Events))
            {
                return;
            }

            await Task.Delay(10);
        }

        Assert.Fail($"never saw {what}; events: {string.Join(", ", Events.Select(e => $"{e.Mask:x}:{e.Name}"))}");
    }

    public void Dispose() => _ = CloseFd(_fd);

    [LibraryImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
    private static partial int Init(int flags);

    [LibraryImport("libc", EntryPoint = "inotify_add_watch", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int AddWatch(int fd, string path, uint mask);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, Span<byte> buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int CloseFd(int fd);

    private void Drain()
    {
        var buffer = new byte[64 << 10];
        while (true)
        {
            var n = (int)Read(_fd, buffer, (nuint)buffer.Length);
            if (n <= 0)
            {
                if (n < 0 && Marshal.GetLastPInvokeError() != EAgain)
                {
                    throw new IOException($"reading inotify events failed: errno {Marshal.GetLastPInvokeError()}");
                }

                return;
            }

            // struct inotify_event { int wd; uint32_t mask, cookie, len; char name[len]; }
            for (var at = 0; at < n;)
            {
                var mask = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(at + 4));
                var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(at + 12));
                var name = Encoding.UTF8.GetString(buffer, at + 16, length).TrimEnd('\0');
                _events.Add((mask, name));
                at += 16 + length;
            }
        }
    }
}
