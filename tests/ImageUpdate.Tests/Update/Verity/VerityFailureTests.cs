using ImageUpdate.Formats.Gpt;
using ImageUpdate.Formats.Verification.Signing;
using ImageUpdate.Formats.Verity;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Resources;
using ImageUpdate.Tests.Support;
using ImageUpdate.Tests.Update.Imaging;
using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Transfers;
using ImageUpdate.Update.Transfers.Partitions;

namespace ImageUpdate.Tests.Update.Verity;

/// <summary>
/// What happens to a verity group's held copies when something other than a failed check ends the
/// acquire after they were written (an I/O error or a cancel during the check, a later download), and
/// what is refused before anything is written (a disabled half of a pair, a trust that cannot be
/// read). After a failure no held copy is left in flight (a P(T) + <c>_empty</c> slot, a
/// <c>.#sysupdate.partial.</c> file): each is partial, as after a failed check, and nothing is pending.
/// </summary>
public sealed class VerityFailureTests : IDisposable
{
    private const string Esp = "efi/EFI/Linux";
    private const string Uki = "ParticleOS_2+3-0.efi";

    private readonly TempDirectory _keys = new();
    private readonly VeritySigningKey _trusted;
    private readonly ParticleOsLikeImage _image = new(rooted: true);
    private readonly ListLogger _logger = new();

    public VerityFailureTests()
    {
        (_trusted, _, var certificate) = VerityPayloads.Keys(_keys);
        _image.Trust(certificate);
    }

    public void Dispose()
    {
        _image.Dispose();
        _keys.Dispose();
    }

    private UpdateEngine Engine(Action<string>? onStatus = null, string? failingTransfer = null, IReadOnlyList<string>? extraCertificates = null) =>
        new(
            new EngineOptions
            {
                Root = _image.Work,
                DefinitionsDirectory = _image.Definitions,
                Environment = new HostEnvironment(new Dictionary<string, string> { ["SYSTEMD_ESP_PATH"] = "/efi" }),
                VerityCertificates = extraCertificates ?? [],
            },
            _logger,
            new StatusObserver(onStatus ?? (_ => { })),
            transfer =>
            {
                var local = new LocalSource(transfer.Source, Path.Join(_image.Work, transfer.Source.Path));
                return transfer.Id == failingTransfer ? new FailingSource(local) : local;
            },
            new EngineServices());

    [Fact]
    public async Task An_IO_error_during_the_check_leaves_every_held_copy_partial()
    {
        _image.Publish("2", VerityPayloads.Create(_trusted));

        // The check reads the signature partition, then the UKI: the written UKI stops being readable.
        var engine = Engine(onStatus: status =>
        {
            if (status.StartsWith("Verifying", StringComparison.Ordinal))
            {
                var inFlight = Assert.Single(Directory.GetFiles(_image[Esp], FileTreeTarget.InFlightPrefix + "*"));
                File.Delete(inFlight);
                File.CreateSymbolicLink(inFlight, "/nonexistent/uki.efi");
            }
        });

        await Assert.ThrowsAnyAsync<IOException>(() => engine.UpdateAsync(null, UpdateActions.All, TestContext.Current.CancellationToken));

        AssertHeldCopiesRejected(ukiWritten: true);
    }

    [Fact]
    public async Task A_cancel_during_the_check_leaves_every_held_copy_partial()
    {
        _image.Publish("2", VerityPayloads.Create(_trusted));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var engine = Engine(onStatus: status =>
        {
            if (status.StartsWith("Verifying", StringComparison.Ordinal))
            {
                cancel.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.UpdateAsync(null, UpdateActions.All, cancel.Token));

        AssertHeldCopiesRejected(ukiWritten: true);
    }

    [Fact]
    public async Task A_later_transfer_whose_download_fails_leaves_the_held_copies_partial()
    {
        _image.Publish("2", VerityPayloads.Create(_trusted));

        var error = await Assert.ThrowsAsync<UpdateException>(() => Engine(failingTransfer: "20-uki").UpdateAsync(null, UpdateActions.All, TestContext.Current.CancellationToken));

        Assert.Equal(FailingSource.Message, error.Message);
        AssertHeldCopiesRejected(ukiWritten: false);
    }

    [Fact]
    public async Task A_slot_that_keeps_its_own_UUID_is_checked_with_it()
    {
        // No @u in the data source's name and no PartitionUUID=: the slot keeps the UUID it has, which
        // the root hash does not derive, so systemd would not find the pair at boot.
        var payloads = VerityPayloads.Create(_trusted);
        _image.Publish("2", payloads);
        _image.WithoutDataUuid("2", payloads);
        var uuids = Partitions().Where(p => p.Type == new Guid(ParticleOsLikeImage.UsrType)).Select(p => p.UniqueId).ToList();

        var error = await Assert.ThrowsAsync<VerificationException>(() => Engine().UpdateAsync(null, UpdateActions.All, TestContext.Current.CancellationToken));

        var data = Assert.Single(Partitions(), p => p.Name == "ParticleOS_2");
        Assert.Contains(data.UniqueId, uuids);
        Assert.Equal(
            $"Partition UUID {data.UniqueId} of verity data '{DeviceOf("ParticleOS_2")}' is not {payloads.DataUuid}, the one root hash {payloads.RootHashHex} gives it.",
            error.Message);
        AssertHeldCopiesRejected(ukiWritten: true);
    }

    [Fact]
    public async Task A_version_whose_root_hash_is_signed_nowhere_is_installed_with_a_warning_that_says_so()
    {
        File.Delete(Path.Combine(_image.Definitions, "10-usr-verity-sig.transfer"));
        _image.Publish("2", VerityPayloads.Create(_trusted));
        File.WriteAllBytes(_image["source/ParticleOS_2_x86-64.efi"], TestUki.Create("console=ttyS0 ro"));

        var result = await Engine().UpdateAsync(null, UpdateActions.All, TestContext.Current.CancellationToken);

        Assert.Equal(UpdateOutcome.Installed, result.Outcome);
        var data = Assert.Single(Partitions(), p => p.Name == "ParticleOS_2");
        Assert.Equal(
            [$"Version '2' goes unchecked: the root hash of verity data '{DeviceOf("ParticleOS_2")}' is not signed anywhere (no signature partition, no usrhash= in its UKIs)."],
            _logger.Messages);
    }

    [Fact]
    public async Task A_disabled_hash_transfer_is_refused_before_anything_is_written()
    {
        File.WriteAllText(Path.Combine(_image.Definitions, "verity.feature"), "[Feature]\nDescription=Verity hash partitions\n");
        var definition = Path.Combine(_image.Definitions, "11-usr-verity.transfer");
        File.WriteAllText(definition, "[Transfer]\nFeatures=verity\n\n" + File.ReadAllText(definition));
        _image.Publish("2", VerityPayloads.Create(_trusted));

        var error = await Assert.ThrowsAsync<ConfigurationException>(() => Engine().UpdateAsync(null, UpdateActions.All, TestContext.Current.CancellationToken));

        Assert.Equal(
            "Verity partition usr-x86-64 of '2' cannot be checked before it becomes bootable: its hash transfer '11-usr-verity' is disabled while '12-usr' is enabled, refusing.",
            error.Message);
        AssertNothingWritten();
    }

    [Fact]
    public async Task A_dangling_certificate_in_verity_d_is_refused_before_anything_is_written()
    {
        _image.Publish("2", VerityPayloads.Create(_trusted));
        File.CreateSymbolicLink(_image["etc/verity.d/other.crt"], "/nonexistent/other.crt");

        var error = await Assert.ThrowsAsync<ConfigurationException>(() => Engine().UpdateAsync(null, UpdateActions.All, TestContext.Current.CancellationToken));

        Assert.Equal(
            $"Verity certificate '{_image["etc/verity.d/other.crt"]}' is a symbolic link to '/nonexistent/other.crt', which is no file: remove it, or mask it with a link to /dev/null, refusing.",
            error.Message);
        AssertNothingWritten();
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("missing")]
    public async Task A_bad_extra_certificate_is_refused_before_anything_is_written(string kind)
    {
        _image.Publish("2", VerityPayloads.Create(_trusted));
        var extra = _keys["extra.crt"];
        if (kind == "garbage")
        {
            File.WriteAllText(extra, "not a certificate\n");
        }

        var error = await Assert.ThrowsAsync<SigningKeyException>(() => Engine(extraCertificates: [extra]).UpdateAsync(null, UpdateActions.All, TestContext.Current.CancellationToken));

        Assert.StartsWith(kind == "garbage" ? $"'{extra}' holds no PEM X.509 certificate." : $"Verity certificate '{extra}' cannot be read: ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        AssertNothingWritten();
    }

    private List<PartitionEntry> Partitions()
    {
        using var disk = GptDisk.Open(_image.Disk);
        return disk.ReadTable().Partitions.Select(p => p.Entry).ToList();
    }

    /// <summary>The device name of the partition labelled <paramref name="label"/>, as messages give it.</summary>
    private string DeviceOf(string label)
    {
        using var disk = GptDisk.Open(_image.Disk);
        var index = Assert.Single(disk.ReadTable().Partitions, p => p.Entry.Name == label).Index;
        return PartitionSlots.DeviceName(_image.Disk, index + 1);
    }

    private static PartitionSlotState? State(PartitionEntry entry) =>
        new[] { ParticleOsLikeImage.UsrType, ParticleOsLikeImage.UsrVerityType, ParticleOsLikeImage.UsrVeritySigType }
            .Select(t => PartitionSlots.StateOf(entry.Type, new Guid(t))).FirstOrDefault(s => s is not null);

    /// <summary>The three partitions partial under their final labels, the UKI (when it was written) partial, nothing in flight or pending.</summary>
    private void AssertHeldCopiesRejected(bool ukiWritten)
    {
        var parts = Partitions();
        foreach (var label in new[] { "ParticleOS_2", "ParticleOS_2_verity", "ParticleOS_2_verity_sig" })
        {
            Assert.Equal(PartitionSlotState.Partial, State(Assert.Single(parts, p => p.Name == label)));
        }

        Assert.DoesNotContain(parts, p => p.Name == PartitionSlots.EmptyLabel && State(p) == PartitionSlotState.Partial);
        Assert.DoesNotContain(parts, p => State(p) == PartitionSlotState.Pending);
        Assert.Empty(Directory.GetFiles(_image[Esp], FileTreeTarget.InFlightPrefix + "*"));
        Assert.Empty(Directory.GetFiles(_image[Esp], DirectoryScanner.PendingPrefix + "*"));
        Assert.Empty(Directory.GetFiles(_image[Esp], "ParticleOS_*"));
        Assert.Equal(ukiWritten ? [DirectoryScanner.PartialPrefix + Uki] : [], Directory.GetFileSystemEntries(_image[Esp]).Select(Path.GetFileName));
    }

    private void AssertNothingWritten()
    {
        Assert.All(Partitions(), p => Assert.Equal(PartitionSlots.EmptyLabel, p.Name));
        Assert.All(Partitions(), p => Assert.Equal(PartitionSlotState.Final, State(p)));
        Assert.Empty(Directory.GetFileSystemEntries(_image[Esp]));
    }

    private sealed class StatusObserver(Action<string> onStatus) : IUpdateObserver
    {
        public void OnStatus(string version, string status) => onStatus(status);

        public void OnProgress(string version, int index, int count, double fraction)
        {
        }
    }

    /// <summary>A source whose listing is the real one and whose download breaks off after a few bytes.</summary>
    private sealed class FailingSource(ISourceResource inner) : ISourceResource
    {
        public const string Message = "Download of the UKI broke off.";

        public Task<ResourceInventory> LoadAsync(CancellationToken cancellationToken) => inner.LoadAsync(cancellationToken);

        public SourcePayload Open(Instance instance) =>
            SourcePayload.FromStream(PayloadKind.File, instance.Path, _ => Task.FromResult<Stream>(new BreakingStream()));
    }

    private sealed class BreakingStream : Stream
    {
        private bool _gave;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_gave)
            {
                throw new UpdateException(FailingSource.Message);
            }

            _gave = true;
            Array.Fill(buffer, (byte)'M', offset, Math.Min(count, 2));
            return Math.Min(count, 2);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
