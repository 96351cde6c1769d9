using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Transfers.Copying;

namespace ImageUpdate.Tests.Update.Transfers;

/// <summary>Memory stays flat whatever the payload size: run alone, so other tests' allocations do not count.</summary>
[Collection(SerialCollection.Name)]
public sealed class PipelinedCopyMemoryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_256_MiB_copy_allocates_no_more_than_a_small_fixed_amount()
    {
        // The ring is native memory; what the managed heap sees is channel and task bookkeeping. A copy
        // that allocated per chunk would allocate the payload size (256 MiB) here.
        var path = Path.Combine(_dir.Path, "target");
        using (var file = new FileStream(path, FileMode.CreateNew))
        {
            file.SetLength(256 << 20);
        }

        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await PipelinedCopy.CopyAsync(new ZeroStream(256 << 20), handle, null, 512, 0, 256 << 20, false, null, "test", null, CancellationToken.None);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 4 << 20, $"{allocated} bytes allocated for a 256 MiB copy");
    }
}
