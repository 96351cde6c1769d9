using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Formats.Verity;
using ImageUpdate.Tests.Support;
using ImageUpdate.Tests.Update.Verity;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// `image-update update` on a disk image laid out as ParticleOS's, from a directory of split
/// payloads whose hash partitions veritysetup made: what lands on the disk verifies with
/// `veritysetup verify` against the signed root hash, and a version whose data was corrupted after
/// signing fails with the check's error, stays partial, and leaves nothing pending.
/// </summary>
public sealed class VerityUpdateCliTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string?> Environment = new() { ["SYSTEMD_ESP_PATH"] = "/efi" };

    [Fact]
    public async Task Update_installs_a_verity_version_that_veritysetup_accepts_and_refuses_a_corrupted_one()
    {
        using var temp = new TempDirectory();
        var (trusted, _, certificate) = VerityPayloads.Keys(temp);
        using var image = new ParticleOsLikeImage(rooted: true);
        image.Trust(certificate);
        string[] Args(params string[] verb) => ["--root", image.Work, .. verb];

        var good = VerityPayloads.CreateWithVeritysetup(temp, trusted);
        image.Publish("1", good);
        var update = await ImageUpdateProcess.RunAsync(Environment, Args("update"));
        output.WriteLine(update.ToString());
        Assert.Equal(0, update.ExitCode);

        var table = GptTools.SfdiskJson(image.Disk);
        Slot(image, table, "ParticleOS_1", temp["slot.data"]);
        Slot(image, table, "ParticleOS_1_verity", temp["slot.hash"]);
        var verify = Veritysetup.Verify(temp["slot.data"], temp["slot.hash"], good.RootHashHex);
        Assert.True(verify.ExitCode == 0, verify.ToString());

        var bad = VerityPayloads.CreateWithVeritysetup(temp, trusted);
        image.Publish("2", bad);
        var data = image[$"source/ParticleOS_2_x86-64.usr-x86-64.{bad.DataUuid}.raw"];
        var bytes = File.ReadAllBytes(data);
        bytes[(150 * 4096) + 9] ^= 0x80;
        File.WriteAllBytes(data, bytes);

        var refused = await ImageUpdateProcess.RunAsync(Environment, Args("update"));
        output.WriteLine(refused.ToString());
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("image-update: error: Verity hash tree in '", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("does not match the data in '", refused.Stderr, StringComparison.Ordinal);

        var list = await ImageUpdateProcess.RunAsync(Environment, Args("--no-legend", "list"));
        output.WriteLine(list.ToString());
        Assert.Contains("partial", list.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, (await ImageUpdateProcess.RunAsync(Environment, Args("pending"))).ExitCode);
        Assert.DoesNotContain(GptTools.SfdiskJson(image.Disk).Partitions, p => p.Name == "ParticleOS_2" && p.Type == new Guid(ParticleOsLikeImage.UsrType));
    }

    private static void Slot(ParticleOsLikeImage image, SfdiskTable table, string label, string destination)
    {
        var slot = table.Partitions.Single(p => p.Name == label);
        using var disk = File.OpenRead(image.Disk);
        var bytes = new byte[(int)slot.Size * 512];
        disk.Position = (long)slot.Start * 512;
        disk.ReadExactly(bytes);
        File.WriteAllBytes(destination, bytes);
    }
}
