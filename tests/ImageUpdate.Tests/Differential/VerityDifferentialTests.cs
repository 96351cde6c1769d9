using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Oracle;
using ImageUpdate.Tests.Support;
using ImageUpdate.Tests.Update.Verity;

namespace ImageUpdate.Tests.Differential;

/// <summary>
/// ParticleOS's coupled transfers (usr data, its verity and verity-sig partitions, the UKI; see
/// <see cref="ParticleOsLikeImage"/>) against the real systemd-sysupdate 262: the same disk after
/// each update (labels, types, partition UUIDs from the sources' @u, attribute bits), the same UKIs
/// on the ESP, a version missing one of its four files never offered, and the oldest version's
/// three partitions and UKI vacuumed together. Both run with --root (our verity certificates live
/// under it); ours also checks each version's root hash before it becomes pending, which good
/// payloads pass.
/// </summary>
public sealed class VerityDifferentialTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> Environment = new() { ["SYSTEMD_ESP_PATH"] = "/efi" };

    [Fact]
    public async Task Coupled_verity_transfers_are_resolved_installed_and_vacuumed_as_systemd_262_does()
    {
        var oracle = SysupdateOracle.ForTest(output, 262);
        if (oracle is null)
        {
            return;
        }

        using var keys = new TempDirectory();
        var (trusted, _, certificate) = VerityPayloads.Keys(keys);
        using var theirs = new ParticleOsLikeImage(rooted: true);
        using var ours = new ParticleOsLikeImage(rooted: true);
        ours.Trust(certificate);

        foreach (var version in new[] { "1", "2", "3" })
        {
            var payloads = VerityPayloads.Create(trusted);
            var signatureUuid = Guid.NewGuid();
            theirs.Publish(version, payloads, signatureUuid: signatureUuid);
            ours.Publish(version, payloads, signatureUuid: signatureUuid);

            var theirUpdate = await oracle.RunAsync(theirs.Work, Environment, "--root=" + theirs.Work, "update");
            var ourUpdate = await ImageUpdateProcess.RunAsync(Environment.ToDictionary(kv => kv.Key, kv => (string?)kv.Value), ["--root", ours.Work, "update"]);
            output.WriteLine($"v{version} 262: {theirUpdate}\nours: {ourUpdate}");
            Assert.Equal(0, theirUpdate.ExitCode);
            Assert.Equal(0, ourUpdate.ExitCode);
            Assert.Contains($"matches its hash partition and signed root hash {payloads.RootHashHex}", ourUpdate.Stderr, StringComparison.Ordinal);

            output.WriteLine($"262:  {string.Join(" | ", Table(theirs))}\nours: {string.Join(" | ", Table(ours))}");
            Assert.Equal(Table(theirs, ReadOnlyBit), Table(ours, ReadOnlyBit));

            // The known difference: ReadOnly=1 sets GPT bit 60 here. 262 asks whether the type knows
            // the bit of the derived *pending* type it writes in the same step, which gpt.c's table
            // does not list, so its pending write drops the bit for every type.
            Assert.All(GptTools.SfdiskJson(ours.Disk).Partitions.Where(p => p.Name != "_empty"), p => Assert.Equal(ReadOnlyBit, p.Attributes));
            Assert.All(GptTools.SfdiskJson(theirs.Disk).Partitions, p => Assert.Equal(0UL, p.Attributes));
            Assert.Equal(Esp(theirs), Esp(ours));
            Assert.Contains(Table(ours), p => p.StartsWith($"ParticleOS_{version} {ParticleOsLikeImage.UsrType} {payloads.DataUuid} ", StringComparison.Ordinal));
            Assert.Contains(Table(ours), p => p.StartsWith($"ParticleOS_{version}_verity {ParticleOsLikeImage.UsrVerityType} {payloads.HashUuid} ", StringComparison.Ordinal));
            Assert.Contains(Table(ours), p => p.StartsWith($"ParticleOS_{version}_verity_sig {ParticleOsLikeImage.UsrVeritySigType} {signatureUuid} ", StringComparison.Ordinal));
        }

        // Two slots each: installing 3 vacuumed all three partitions of 1 and its UKI (InstancesMax=2).
        Assert.DoesNotContain(Table(ours), p => p.StartsWith("ParticleOS_1", StringComparison.Ordinal));
        Assert.Equal(["ParticleOS_2+3-0.efi", "ParticleOS_3+3-0.efi"], Esp(ours));

        // A version without its signature partition's file is incomplete: neither tool offers it.
        var incomplete = VerityPayloads.Create(trusted);
        foreach (var image in new[] { theirs, ours })
        {
            image.Publish("4", incomplete);
            foreach (var file in Directory.GetFiles(image["source"], "ParticleOS_4_x86-64.usr-x86-64-verity-sig.*"))
            {
                File.Delete(file);
            }
        }

        var theirCheck = await oracle.RunAsync(theirs.Work, Environment, "--root=" + theirs.Work, "check-new");
        var ourCheck = await ImageUpdateProcess.RunAsync(Environment.ToDictionary(kv => kv.Key, kv => (string?)kv.Value), ["--root", ours.Work, "check-new"]);
        output.WriteLine($"check-new 262: {theirCheck}\nours: {ourCheck}");
        Assert.Equal(theirCheck.ExitCode, ourCheck.ExitCode);
        Assert.Equal(1, ourCheck.ExitCode);
        Assert.Equal(theirCheck.Stdout, ourCheck.Stdout);
    }

    [Fact]
    public async Task A_data_partition_nothing_gives_a_UUID_keeps_its_slot_s_own_in_262_and_ours_refuses_it()
    {
        var oracle = SysupdateOracle.ForTest(output, 262);
        if (oracle is null)
        {
            return;
        }

        using var keys = new TempDirectory();
        var (trusted, _, certificate) = VerityPayloads.Keys(keys);
        using var theirs = new ParticleOsLikeImage(rooted: true);
        using var ours = new ParticleOsLikeImage(rooted: true);
        ours.Trust(certificate);
        var payloads = VerityPayloads.Create(trusted);
        foreach (var image in new[] { theirs, ours })
        {
            image.Publish("2", payloads);
            image.WithoutDataUuid("2", payloads);
        }

        var slots = GptTools.SfdiskJson(theirs.Disk).Partitions.Where(p => p.Type == new Guid(ParticleOsLikeImage.UsrType)).Select(p => p.Uuid).ToList();
        var theirUpdate = await oracle.RunAsync(theirs.Work, Environment, "--root=" + theirs.Work, "update");
        var ourUpdate = await ImageUpdateProcess.RunAsync(Environment.ToDictionary(kv => kv.Key, kv => (string?)kv.Value), ["--root", ours.Work, "update"]);
        output.WriteLine($"262: {theirUpdate}\nours: {ourUpdate}");

        // 262 sets no UUID: the data partition keeps its slot's, which the root hash does not derive,
        // so systemd would not find the pair at boot. Ours compares that UUID and refuses the version.
        Assert.Equal(0, theirUpdate.ExitCode);
        var data = Assert.Single(GptTools.SfdiskJson(theirs.Disk).Partitions, p => p.Name == "ParticleOS_2");
        Assert.Contains(data.Uuid, slots);
        Assert.NotEqual(payloads.DataUuid, data.Uuid);
        Assert.NotEqual(0, ourUpdate.ExitCode);
        Assert.Contains($"of verity data '{ours.Disk}", ourUpdate.Stderr, StringComparison.Ordinal);
        Assert.Contains($"' is not {payloads.DataUuid}, the one root hash {payloads.RootHashHex} gives it.", ourUpdate.Stderr, StringComparison.Ordinal);
        Assert.Contains(Table(ours), p => p.StartsWith("ParticleOS_2 ", StringComparison.Ordinal));
        Assert.DoesNotContain(Table(ours), p => p.StartsWith("ParticleOS_2 " + ParticleOsLikeImage.UsrType, StringComparison.Ordinal));
    }

    private const ulong ReadOnlyBit = 1UL << 60;

    /// <summary>Every partition as "label type uuid attributes" (the `_empty` ones without their random UUID), <paramref name="ignored"/> bits masked.</summary>
    private static List<string> Table(ParticleOsLikeImage image, ulong ignored = 0) =>
        GptTools.SfdiskJson(image.Disk).Partitions
            .Select(p => p.Name == "_empty" ? $"_empty {p.Type}" : $"{p.Name} {p.Type} {p.Uuid} {p.Attributes & ~ignored:x}")
            .ToList();

    private static List<string> Esp(ParticleOsLikeImage image) =>
        Directory.GetFiles(image["efi/EFI/Linux"]).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;
}
