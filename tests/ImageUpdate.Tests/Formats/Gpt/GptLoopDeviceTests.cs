using ImageUpdate.Formats.Gpt;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Gpt;

/// <summary>
/// Block devices: a loop device with 4096-byte logical sectors (losetup --sector-size 4096), which
/// sfdisk partitions through the kernel's sector size (sfdisk 2.38 has no --sector-size for images).
/// Needs root; outside CI a non-root run says so and returns.
/// </summary>
public sealed class GptLoopDeviceTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_4096_byte_sector_table_is_read_and_written_on_the_loop_device_and_its_image()
    {
        GptTools.RequireRoot("4096-byte sectors");
        GptTools.Require("losetup", "sfdisk", "sgdisk");

        var image = GptTools.NewImage(_temp.Path, "disk4k.img", 16 << 20);
        var loop = GptTools.Run("losetup", ["--find", "--show", "--sector-size", "4096", image]).Trim();
        try
        {
            GptTools.Sfdisk(loop, "label: gpt\ntable-length: 56\nsize=256, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709, name=\"_empty\"\nsize=256, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709, name=\"_empty\", attrs=\"GUID:60\"\n");
            var expected = GptTools.SfdiskJson(loop);
            Assert.Equal(4096, expected.SectorSize);

            // The device says its sector size (BLKSSZGET); the image file is probed for it.
            using (var device = GptDisk.Open(loop, writable: true))
            {
                Assert.True(device.IsBlockDevice);
                Assert.Equal(4096, device.SectorSize);
                GptAssert.Matches(expected, device.ReadTable());

                // BLKRRPART fails with EINVAL on a loop device without partition scanning; that is not an error.
                device.Update(t => t.WithEntry(0, e => e with { Name = "part1-v1", Type = PartitionStates.PendingTypeFor(e.Type), Attributes = PartitionAttributes.ReadOnly }));
            }

            using (var file = GptDisk.Open(image))
            {
                Assert.False(file.IsBlockDevice);
                Assert.Equal(4096, file.SectorSize);
            }

            GptAssert.SgdiskFindsNoProblems(loop);
            var after = GptTools.SfdiskJson(loop);
            GptAssert.Matches(after, GptDisk.ReadTable(image));
            Assert.Equal("part1-v1", after.Partitions[0].Name);
            Assert.Equal(PartitionStates.PendingTypeFor(new Guid("4f68bce3-e8cd-4db1-96e7-fbcaf984b709")), after.Partitions[0].Type);
            Assert.Equal(PartitionAttributes.ReadOnly, after.Partitions[0].Attributes);
        }
        finally
        {
            GptTools.Run("losetup", ["--detach", loop], check: false);
        }
    }
}
