using System.Buffers.Binary;
using System.Globalization;
using ImageUpdate.Foundation.Hashing;
using ImageUpdate.Foundation.Native;

namespace ImageUpdate.Formats.Casync;

/// <summary>
/// A casync chunk ID: the SHA-512/256 (FIPS 180-4 §6.7) of the uncompressed chunk, 32 bytes, named in
/// a chunk store by its lowercase hex. Held as four big-endian words so that equality and hashing are
/// the record struct's own and ordering by words is ordering by hex name.
/// </summary>
public readonly record struct ChunkId(ulong Word0, ulong Word1, ulong Word2, ulong Word3) : IComparable<ChunkId>
{
    public const int Size = 32;

    private static readonly nint Sha512t256 = LibCrypto.Sha512t256();

    public static ChunkId Read(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadUInt64BigEndian(bytes),
        BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
        BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));

    /// <summary>
    /// SHA-512/256 of <paramref name="chunk"/>, through OpenSSL (see <see cref="LibCrypto"/> for why).
    /// SHA-512/256 starts from its own initial values, so it is not a truncated SHA-512.
    /// </summary>
    public static unsafe ChunkId Compute(ReadOnlySpan<byte> chunk)
    {
        Span<byte> hash = stackalloc byte[Size];
        uint length = 0;
        int ok;
        fixed (byte* data = chunk)
        fixed (byte* digest = hash)
        {
            ok = LibCrypto.Digest(data, (nuint)chunk.Length, digest, &length, Sha512t256, 0);
        }

        if (ok != 1 || length != Size)
        {
            throw new InvalidOperationException($"OpenSSL's EVP_Digest(SHA512-256) failed ({ok}, {length} bytes).");
        }

        return Read(hash);
    }

    /// <summary>
    /// The IDs of the chunks <c>data[offsets[i]..(offsets[i] + lengths[i])]</c> into <paramref name="ids"/>:
    /// eight at a time with AVX-512 where the CPU has it (<see cref="MultiBufferSha512t256"/>), about
    /// 2.4 times OpenSSL's speed per core on 64 KiB chunks, else one by one as <see cref="Compute"/>.
    /// </summary>
    public static void ComputeMany(ReadOnlySpan<byte> data, ReadOnlySpan<int> offsets, ReadOnlySpan<int> lengths, Span<ChunkId> ids)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ids.Length, offsets.Length);
        Span<byte> digests = offsets.Length <= 64 ? stackalloc byte[offsets.Length * Size] : new byte[offsets.Length * Size];
        if (MultiBufferSha512t256.TryCompute(data, offsets, lengths, digests))
        {
            for (var i = 0; i < offsets.Length; i++)
            {
                ids[i] = Read(digests.Slice(i * Size, Size));
            }

            return;
        }

        for (var i = 0; i < offsets.Length; i++)
        {
            ids[i] = Compute(data.Slice(offsets[i], lengths[i]));
        }
    }

    /// <summary>Parses 64 hex digits (either case); null when <paramref name="hex"/> is anything else.</summary>
    public static ChunkId? TryParse(ReadOnlySpan<char> hex)
    {
        if (hex.Length != Size * 2)
        {
            return null;
        }

        Span<ulong> words = stackalloc ulong[4];
        for (var i = 0; i < 4; i++)
        {
            if (!ulong.TryParse(hex.Slice(i * 16, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out words[i]))
            {
                return null;
            }
        }

        return new ChunkId(words[0], words[1], words[2], words[3]);
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, Word0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Word1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], Word2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], Word3);
    }

    public int CompareTo(ChunkId other)
    {
        var order = Word0.CompareTo(other.Word0);
        order = order != 0 ? order : Word1.CompareTo(other.Word1);
        order = order != 0 ? order : Word2.CompareTo(other.Word2);
        return order != 0 ? order : Word3.CompareTo(other.Word3);
    }

    /// <summary>The lowercase hex name casync gives the chunk.</summary>
    public override string ToString() => string.Create(Size * 2, this, static (span, id) =>
    {
        id.Word0.TryFormat(span, out _, "x16", CultureInfo.InvariantCulture);
        id.Word1.TryFormat(span[16..], out _, "x16", CultureInfo.InvariantCulture);
        id.Word2.TryFormat(span[32..], out _, "x16", CultureInfo.InvariantCulture);
        id.Word3.TryFormat(span[48..], out _, "x16", CultureInfo.InvariantCulture);
    });
}
