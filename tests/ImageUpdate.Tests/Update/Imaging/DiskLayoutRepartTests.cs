using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Imaging;

namespace ImageUpdate.Tests.Update.Imaging;

/// <summary>
/// Our plan against what systemd-repart 252 writes for the same definitions and seed: disk GUID, usable
/// area, and every partition's number, start, size, type, UUID, label and attribute bits as sfdisk reads
/// them back. Needs root and systemd-repart; outside CI a missing one is reported and the test returns.
/// </summary>
public sealed class DiskLayoutRepartTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(RepartLayouts.Demo, null)]
    [InlineData(RepartLayouts.Demo, 1UL << 30)]
    [InlineData(RepartLayouts.OddSizes, null)]
    [InlineData(RepartLayouts.OddSizes, 123456789UL)]
    [InlineData(RepartLayouts.Weights, null)]
    [InlineData(RepartLayouts.Weights, 400UL << 20)]
    [InlineData(RepartLayouts.Weights, (3UL << 30) + 12345)]
    [InlineData(RepartLayouts.Priorities, null)]
    [InlineData(RepartLayouts.Priorities, 130UL << 20)]
    [InlineData(RepartLayouts.Priorities, 100UL << 20)]
    [InlineData(RepartLayouts.DefaultsAndFlags, null)]
    public void A_512_byte_sector_image_is_laid_out_as_systemd_repart_lays_it_out(string layout, ulong? size)
    {
        RepartOracle.Require();

        var definitions = RepartOracle.WriteDefinitions(_temp.Path, RepartLayouts.Files(layout));
        var image = Path.Combine(_temp.Path, "repart.raw");
        var expected = RepartOracle.CreateImage(definitions, RepartLayouts.Seed, size, image);

        var plan = DiskLayoutPlanner.Plan(RepartDefinitions.Load(definitions), RepartLayouts.Seed, 512, size);

        RepartOracle.AssertSame(expected, plan);
        Assert.Equal((ulong)new FileInfo(image).Length, plan.SizeInBytes);
    }

    [Theory]
    [InlineData(RepartLayouts.Demo, 600UL << 20)]
    [InlineData(RepartLayouts.Weights, 500UL << 20)]
    [InlineData(RepartLayouts.Priorities, 100UL << 20)]
    public void A_4096_byte_sector_loop_device_is_laid_out_as_systemd_repart_lays_it_out(string layout, ulong size)
    {
        RepartOracle.Require();

        var definitions = RepartOracle.WriteDefinitions(_temp.Path, RepartLayouts.Files(layout));
        var expected = RepartOracle.CreateOn4096Loop(definitions, RepartLayouts.Seed, size, Path.Combine(_temp.Path, "repart4k.raw"));

        var plan = DiskLayoutPlanner.Plan(RepartDefinitions.Load(definitions), RepartLayouts.Seed, 4096, size);

        RepartOracle.AssertSame(expected, plan);
    }
}
