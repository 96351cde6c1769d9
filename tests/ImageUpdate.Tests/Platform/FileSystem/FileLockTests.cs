using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.FileSystem;

public sealed class FileLockTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void TryAcquire_fails_while_held_and_succeeds_after_dispose()
    {
        var path = _directory.Combine("lock");

        Assert.True(FileLock.TryAcquire(path, out var first));
        using (first)
        {
            Assert.False(FileLock.TryAcquire(path, out var second));
            Assert.Null(second);
        }

        // Another test may fork a child at any moment: until that child execs, its copy of our
        // (close-on-exec) descriptor still holds the lock, so give the release a moment.
        FileLock? third = null;
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!FileLock.TryAcquire(path, out third) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }

        Assert.NotNull(third);
        third.Dispose();
    }

    [Fact]
    public void The_lock_is_seen_by_flock1_in_another_process()
    {
        var path = _directory.Combine("lock");

        using (FileLock.Acquire(path))
        {
            Assert.Equal(1, Tool.TryRun("flock", "--nonblock", "--conflict-exit-code", "1", path, "true"));
        }

        Assert.Equal(0, Tool.TryRun("flock", "--nonblock", "--conflict-exit-code", "1", path, "true"));
    }

    [Fact]
    public void A_directory_can_be_locked()
    {
        using var held = FileLock.Acquire(_directory.Path);

        Assert.False(FileLock.TryAcquire(_directory.Path, out _));
    }

    [Fact]
    public async Task AcquireAsync_waits_until_the_holder_lets_go()
    {
        var path = _directory.Combine("lock");
        var held = FileLock.Acquire(path);

        using var opens = new ImageUpdate.Tests.Support.InotifyWatch(path, ImageUpdate.Tests.Support.InotifyWatch.Open);

        // Each try opens the file: a second open means the first try was refused and it waits.
        var waiting = FileLock.AcquireAsync(path, CancellationToken.None);
        await opens.WaitForAsync(events => events.Count >= 2, "two tries for the lock");
        Assert.False(waiting.IsCompleted);
        held.Dispose();

        using var acquired = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(path, acquired.Path);
    }

    [Fact]
    public async Task AcquireAsync_stops_waiting_when_cancelled()
    {
        var path = _directory.Combine("lock");
        using var held = FileLock.Acquire(path);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => FileLock.AcquireAsync(path, cancellation.Token));
    }
}
