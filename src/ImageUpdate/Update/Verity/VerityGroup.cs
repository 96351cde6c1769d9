using System.Collections.Immutable;

namespace ImageUpdate.Update.Verity;

/// <summary>
/// The transfers that write one dm-verity protected partition of a version, as ParticleOS and GNOME
/// OS define them: the data partition (root or /usr), its hash partition, optionally its
/// <c>*-verity-sig</c> partition, and the boot entries (UKIs) whose command line may carry the root
/// hash (<c>roothash=</c> for root, <c>usrhash=</c> for /usr).
/// </summary>
/// <param name="Name">The data partition type's name, architecture included ("usr-x86-64").</param>
/// <param name="CommandLineKey">The kernel command line key that names this partition's root hash.</param>
public sealed record VerityGroup(
    string Name,
    string CommandLineKey,
    string DataTransfer,
    string HashTransfer,
    string? SignatureTransfer,
    ImmutableArray<string> BootEntryTransfers)
{
    /// <summary>Every transfer of the group: data, hash, signature (when there is one), boot entries.</summary>
    public IEnumerable<string> Transfers =>
        new[] { DataTransfer, HashTransfer }.Concat(SignatureTransfer is null ? [] : [SignatureTransfer]).Concat(BootEntryTransfers);

    public bool Equals(VerityGroup? other) =>
        other is not null && Name == other.Name && CommandLineKey == other.CommandLineKey && DataTransfer == other.DataTransfer
        && HashTransfer == other.HashTransfer && SignatureTransfer == other.SignatureTransfer && BootEntryTransfers.SequenceEqual(other.BootEntryTransfers);

    public override int GetHashCode() => HashCode.Combine(Name, DataTransfer, HashTransfer, SignatureTransfer);
}
