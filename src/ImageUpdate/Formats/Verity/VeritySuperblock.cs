using System.Buffers.Binary;
using System.Text;

namespace ImageUpdate.Formats.Verity;

/// <summary>
/// The 512-byte superblock at the start of a dm-verity hash device, as <c>veritysetup format</c>
/// writes it (cryptsetup's <c>struct verity_sb</c>, all integers little-endian). The hash tree
/// begins at the first hash block after it.
/// </summary>
public sealed record VeritySuperblock
{
    /// <summary>Size of the superblock on disk.</summary>
    public const int Size = 512;

    /// <summary>The only superblock version there is.</summary>
    public const uint SupportedVersion = 1;

    /// <summary>Hash type 1: the salt goes before the block, digests are padded to a power of two (type 0 is Chrome OS's).</summary>
    public const uint SupportedHashType = 1;

    /// <summary>The one hash algorithm this implementation builds and checks (the one systemd-repart uses).</summary>
    public const string Sha256 = "sha256";

    internal const int SaltFieldLength = 256;

    private static ReadOnlySpan<byte> Magic => "verity\0\0"u8;

    private static class FieldLengths
    {
        public const int Signature = 8;
        public const int Version = 4;
        public const int HashType = 4;
        public const int Uuid = 16;
        public const int Algorithm = 32;
        public const int DataBlockSize = 4;
        public const int HashBlockSize = 4;
        public const int DataBlocks = 8;
        public const int SaltSize = 2;
        public const int Padding1 = 6;
        public const int Salt = SaltFieldLength;
    }

    private static class Offsets
    {
        public const int Signature = 0;
        public const int Version = Signature + FieldLengths.Signature;
        public const int HashType = Version + FieldLengths.Version;
        public const int Uuid = HashType + FieldLengths.HashType;
        public const int Algorithm = Uuid + FieldLengths.Uuid;
        public const int DataBlockSize = Algorithm + FieldLengths.Algorithm;
        public const int HashBlockSize = DataBlockSize + FieldLengths.DataBlockSize;
        public const int DataBlocks = HashBlockSize + FieldLengths.HashBlockSize;
        public const int SaltSize = DataBlocks + FieldLengths.DataBlocks;
        public const int Padding1 = SaltSize + FieldLengths.SaltSize;
        public const int Salt = Padding1 + FieldLengths.Padding1;
        public const int End = Salt + FieldLengths.Salt; // the rest up to Size is padding
    }

    public VeritySuperblock(VerityParameters parameters, long dataBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dataBlocks);
        Parameters = parameters;
        DataBlocks = dataBlocks;
    }

    /// <summary>Block sizes, salt and UUID.</summary>
    public VerityParameters Parameters { get; }

    /// <summary>How many data blocks the tree covers.</summary>
    public long DataBlocks { get; }

    /// <summary>Bytes of data the tree covers.</summary>
    public long DataSize => DataBlocks * Parameters.DataBlockSize;

    /// <summary>Parses and validates a superblock; <paramref name="source"/> names the hash device in errors.</summary>
    public static VeritySuperblock Read(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < Size)
        {
            throw new VerityException(source, $"the superblock needs {Size} bytes, only {bytes.Length} are there");
        }

        if (!bytes[..FieldLengths.Signature].SequenceEqual(Magic))
        {
            throw new VerityException(source, $"no verity superblock (magic is {Convert.ToHexStringLower(bytes[..FieldLengths.Signature])}, not 7665726974790000)");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[Offsets.Version..]);
        if (version != SupportedVersion)
        {
            throw new VerityException(source, $"superblock version {version} is not supported (only {SupportedVersion})");
        }

        var hashType = BinaryPrimitives.ReadUInt32LittleEndian(bytes[Offsets.HashType..]);
        if (hashType != SupportedHashType)
        {
            throw new VerityException(source, $"hash type {hashType} is not supported (only {SupportedHashType})");
        }

        var algorithmField = bytes.Slice(Offsets.Algorithm, FieldLengths.Algorithm);
        var terminator = algorithmField.IndexOf((byte)0);
        var algorithm = terminator < 0 ? algorithmField : algorithmField[..terminator];
        if (!algorithm.SequenceEqual(Encoding.ASCII.GetBytes(Sha256)))
        {
            throw new VerityException(source, $"hash algorithm '{Foundation.Errors.UntrustedText.Escape(algorithm)}' is not supported (only {Sha256})");
        }

        var dataBlockSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes[Offsets.DataBlockSize..]);
        if (!VerityParameters.IsValidBlockSize(dataBlockSize))
        {
            throw new VerityException(source, $"data block size {dataBlockSize} is not a power of two from {VerityParameters.MinimumBlockSize} to {VerityParameters.MaximumBlockSize}");
        }

        var hashBlockSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes[Offsets.HashBlockSize..]);
        if (!VerityParameters.IsValidBlockSize(hashBlockSize))
        {
            throw new VerityException(source, $"hash block size {hashBlockSize} is not a power of two from {VerityParameters.MinimumBlockSize} to {VerityParameters.MaximumBlockSize}");
        }

        var dataBlocks = BinaryPrimitives.ReadUInt64LittleEndian(bytes[Offsets.DataBlocks..]);
        if (dataBlocks == 0 || dataBlocks > (ulong)(long.MaxValue / dataBlockSize))
        {
            throw new VerityException(source, $"data block count {dataBlocks} is out of range");
        }

        var saltSize = BinaryPrimitives.ReadUInt16LittleEndian(bytes[Offsets.SaltSize..]);
        if (saltSize > FieldLengths.Salt)
        {
            throw new VerityException(source, $"salt size {saltSize} is larger than the {FieldLengths.Salt} bytes the superblock holds");
        }

        var uuid = new Guid(bytes.Slice(Offsets.Uuid, FieldLengths.Uuid), bigEndian: true);
        var salt = bytes.Slice(Offsets.Salt, saltSize).ToArray();
        return new VeritySuperblock(new VerityParameters((int)dataBlockSize, (int)hashBlockSize, salt, uuid), (long)dataBlocks);
    }

    /// <summary>Writes the 512 superblock bytes (padding zeroed) to <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, Size, nameof(destination));
        var target = destination[..Size];
        target.Clear();
        Magic.CopyTo(target);
        BinaryPrimitives.WriteUInt32LittleEndian(target[Offsets.Version..], SupportedVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(target[Offsets.HashType..], SupportedHashType);
        Parameters.Uuid.TryWriteBytes(target.Slice(Offsets.Uuid, FieldLengths.Uuid), bigEndian: true, out _);
        Encoding.ASCII.GetBytes(Sha256, target.Slice(Offsets.Algorithm, FieldLengths.Algorithm));
        BinaryPrimitives.WriteUInt32LittleEndian(target[Offsets.DataBlockSize..], (uint)Parameters.DataBlockSize);
        BinaryPrimitives.WriteUInt32LittleEndian(target[Offsets.HashBlockSize..], (uint)Parameters.HashBlockSize);
        BinaryPrimitives.WriteUInt64LittleEndian(target[Offsets.DataBlocks..], (ulong)DataBlocks);
        BinaryPrimitives.WriteUInt16LittleEndian(target[Offsets.SaltSize..], (ushort)Parameters.Salt.Length);
        Parameters.Salt.Span.CopyTo(target[Offsets.Salt..Offsets.End]);
    }
}
