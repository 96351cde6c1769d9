using ImageUpdate.Formats.Gpt;
using ImageUpdate.Formats.Verity;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Transfers;
using ImageUpdate.Update.Transfers.Partitions;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Tests.Update.Verity;

/// <summary>
/// The engine's check before pending, on a disk image laid out as ParticleOS's: a good version is
/// installed with the UUIDs its root hash derives; a bad one ends in the typed error with the data
/// partition partial, the UKI a rejected copy, and nothing pending.
/// </summary>
public sealed class VerityUpdateTests : IDisposable
{
    private readonly TempDirectory _keys = new();
    private readonly VeritySigningKey _trusted;
    private readonly VeritySigningKey _untrusted;
    private readonly ParticleOsLikeImage _image = new(rooted: true);

    public VerityUpdateTests()
    {
        (_trusted, _untrusted, var certificate) = VerityPayloads.Keys(_keys);
        _image.Trust(certificate);
    }

    public void Dispose()
    {
        _image.Dispose();
        _keys.Dispose();
    }

    private UpdateEngine Engine() =>
        new(
            new EngineOptions
            {
                Root = _image.Work,
                DefinitionsDirectory = _image.Definitions,
                Environment = new HostEnvironment(new Dictionary<string, string> { ["SYSTEMD_ESP_PATH"] = "/efi" }),
            },
            NullLogger.Instance,
            new NullObserver(),
            transfer => new LocalSource(transfer.Source, Path.Join(_image.Work, transfer.Source.Path)),
            new EngineServices());

    private sealed class NullObserver : IUpdateObserver
    {
        public void OnStatus(string version, string status)
        {
        }

        public void OnProgress(string version, int index, int count, double fraction)
        {
        }
    }

    private List<PartitionEntry> Partitions()
    {
        using var disk = GptDisk.Open(_image.Disk);
        return disk.ReadTable().Partitions.Select(p => p.Entry).ToList();
    }

    private static PartitionSlotState? State(PartitionEntry entry, string type) => PartitionSlots.StateOf(entry.Type, new Guid(type));

    [Fact]
    public async Task A_good_version_is_installed_with_the_partition_UUIDs_its_root_hash_derives()
    {
        var payloads = VerityPayloads.Create(_trusted);
        _image.Publish("2", payloads);

        var result = await Engine().UpdateAsync(null, UpdateActions.All, TestContext.Current.CancellationToken);

        Assert.Equal(UpdateOutcome.Installed, result.Outcome);
        var parts = Partitions();
        var data = Assert.Single(parts, p => p.Name == "ParticleOS_2");
        var hash = Assert.Single(parts, p => p.Name == "ParticleOS_2_verity");
        Assert.Single(parts, p => p.Name == "ParticleOS_2_verity_sig");
        Assert.Equal(new Guid(ParticleOsLikeImage.UsrType), data.Type);
        Assert.Equal(payloads.DataUuid, data.UniqueId);
        Assert.Equal(payloads.HashUuid, hash.UniqueId);
        Assert.True(File.Exists(_image["efi/EFI/Linux/ParticleOS_2+3-0.efi"]));
    }

    public static TheoryData<string> Corruptions => new() { "data", "hash", "untrusted", "uuid", "uki" };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public async Task A_version_that_would_fail_dm_verity_at_boot_is_left_partial_and_nothing_becomes_pending(string corruption)
    {
        var payloads = VerityPayloads.Create(corruption == "untrusted" ? _untrusted : _trusted);
        Guid? dataUuid = corruption == "uuid" ? Guid.NewGuid() : null;
        _image.Publish("2", payloads, dataUuid);
        var stem = _image["source/ParticleOS_2_x86-64"];
        switch (corruption)
        {
            case "data":
                Flip($"{stem}.usr-x86-64.{payloads.DataUuid}.raw", (5 * 4096) + 3);
                break;
            case "hash":
                Flip($"{stem}.usr-x86-64-verity.{payloads.HashUuid}.raw", 4096 + 64);
                break;
            case "uki":
                File.WriteAllBytes($"{stem}.efi", TestUki.Create("usrhash=" + new string('e', 64)));
                break;
        }

        var error = await Assert.ThrowsAnyAsync<ImageUpdateException>(() => Engine().UpdateAsync(null, UpdateActions.All, TestContext.Current.CancellationToken));

        Assert.True(error is VerificationException or VerityException, error.ToString());
        var parts = Partitions();
        Assert.DoesNotContain(parts, p => State(p, ParticleOsLikeImage.UsrType) == PartitionSlotState.Pending
            || State(p, ParticleOsLikeImage.UsrVerityType) == PartitionSlotState.Pending
            || State(p, ParticleOsLikeImage.UsrVeritySigType) == PartitionSlotState.Pending);
        var data = Assert.Single(parts, p => p.Name == "ParticleOS_2");
        Assert.Equal(PartitionSlotState.Partial, State(data, ParticleOsLikeImage.UsrType));
        Assert.Equal(PartitionSlotState.Partial, State(Assert.Single(parts, p => p.Name == "ParticleOS_2_verity"), ParticleOsLikeImage.UsrVerityType));
        Assert.Equal(["ParticleOS_2+3-0.efi"], Directory.GetFiles(_image["efi/EFI/Linux"], ".sysupdate.partial.*").Select(f => Path.GetFileName(f)[(".sysupdate.partial.".Length)..]));
        Assert.Empty(Directory.GetFiles(_image["efi/EFI/Linux"], ".sysupdate.pending.*"));
        Assert.Empty(Directory.GetFiles(_image["efi/EFI/Linux"], "ParticleOS_*"));
    }

    private static void Flip(string path, int offset)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[offset] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }
}
