using System.Runtime.ExceptionServices;
using ImageUpdate.Foundation.Native;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Update.Transfers.Copying;

/// <summary>
/// Makes a long copy durable while it runs instead of all at its end: every <see cref="Interval"/>
/// bytes written, an fsync of the target starts on another thread (never more than one at a time)
/// while the copy goes on. Without it the single fsync at the end waits for the whole payload's
/// write-back (on a loop device, a quarter of a second per GiB that nothing else overlaps); with it
/// the last fsync only waits for the stretch written since the previous one. The final fsync is
/// still the caller's: this only moves work earlier, it never replaces the barrier.
/// </summary>
internal sealed class RollingSync
{
    /// <summary>64 MiB: the final fsync waits for at most about this much, and a real disk sees one cache flush per 64 MiB.</summary>
    public const long Interval = 64 << 20;

    private readonly SafeFileHandle _target;
    private readonly string _what;
    private Task _running = Task.CompletedTask;
    private long _startedAt;

    public RollingSync(SafeFileHandle target, string what)
    {
        _target = target;
        _what = what;
    }

    /// <summary>How many fsyncs were started while the copy ran (tests look at it).</summary>
    public int Started { get; private set; }

    /// <summary>Called by the writer after each write with the bytes written so far.</summary>
    public void Written(long total)
    {
        if (total - _startedAt < Interval || !_running.IsCompleted)
        {
            return;
        }

        // A failed fsync is a failed write: surface it now rather than at the end.
        if (_running.Exception?.InnerException is { } failure)
        {
            ExceptionDispatchInfo.Capture(failure).Throw();
        }

        _startedAt = total;
        Started++;
        // Its own thread: an fsync blocks for as long as the write-back takes, a pool thread should not.
        _running = Task.Factory.StartNew(() => Libc.Fsync(_target, _what), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Waits for the fsync still running, if any, and reports its failure.</summary>
    public Task DrainAsync() => _running;
}
