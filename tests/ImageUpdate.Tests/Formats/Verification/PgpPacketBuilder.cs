using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace ImageUpdate.Tests.Formats.Verification;

/// <summary>
/// Builds version 4 Ed25519 keys and signatures byte by byte (RFC 4880 §5.2.3, §5.5.2; RFC 9580
/// §5.5.5.5-6) for the cases gpg 2.2 cannot make: algorithm 27 keys, an R with a leading zero byte,
/// and deliberately odd subpackets. Signing uses BouncyCastle's RFC 8032 code with a seeded key.
/// </summary>
internal sealed class PgpPacketBuilder
{
    public const uint Created = 1_700_000_000;

    private static readonly byte[] Ed25519Oid = [0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01];

    private readonly byte[] _secret = new byte[Ed25519.SecretKeySize];
    private readonly byte[] _public = new byte[Ed25519.PublicKeySize];

    public PgpPacketBuilder(int algorithm, byte seed)
    {
        Algorithm = algorithm;
        _secret.AsSpan().Fill(seed);
        Ed25519.GeneratePublicKey(_secret, 0, _public, 0);
        KeyBody = algorithm == 27
            ? [4, .. BigEndian(Created), 27, .. _public]
            : [4, .. BigEndian(Created), 22, (byte)Ed25519Oid.Length, .. Ed25519Oid, 0x01, 0x07, 0x40, .. _public];
        Fingerprint = SHA1.HashData([0x99, (byte)(KeyBody.Length >> 8), (byte)KeyBody.Length, .. KeyBody]);
    }

    public int Algorithm { get; }

    public byte[] KeyBody { get; }

    public byte[] Fingerprint { get; }

    public string FingerprintHex => Convert.ToHexString(Fingerprint);

    public static byte[] Subpacket(int type, params byte[] data) => [(byte)(data.Length + 1), (byte)type, .. data];

    public static byte[] CreationTime(uint seconds) => Subpacket(2, BigEndian(seconds));

    public byte[] IssuerFingerprint() => Subpacket(33, [4, .. Fingerprint]);

    public static byte[] Packet(int tag, byte[] body) => body.Length < 192
        ? [(byte)(0xc0 | tag), (byte)body.Length, .. body]
        : [(byte)(0xc0 | tag), (byte)(((body.Length - 192) >> 8) + 192), (byte)(body.Length - 192), .. body];

    /// <summary>A transferable key: key packet, user ID, positive certification with key flags.</summary>
    public byte[] Key(string userId)
    {
        var uid = System.Text.Encoding.UTF8.GetBytes(userId);
        byte[] signed = [0x99, (byte)(KeyBody.Length >> 8), (byte)KeyBody.Length, .. KeyBody, 0xb4, .. BigEndian((uint)uid.Length), .. uid];
        var certification = Signature(0x13, signed, [.. CreationTime(Created), .. IssuerFingerprint(), .. Subpacket(27, 0x03)], []);
        return [.. Packet(6, KeyBody), .. Packet(13, uid), .. Packet(2, certification)];
    }

    /// <summary>A signature packet body over <paramref name="signed"/> with the given subpacket areas.</summary>
    public byte[] Signature(int type, byte[] signed, byte[] hashedSubpackets, byte[] unhashedSubpackets)
    {
        byte[] hashedPart = [4, (byte)type, (byte)Algorithm, 8, (byte)(hashedSubpackets.Length >> 8), (byte)hashedSubpackets.Length, .. hashedSubpackets];
        var digest = SHA256.HashData([.. signed, .. hashedPart, 0x04, 0xff, .. BigEndian((uint)hashedPart.Length)]);
        var value = new byte[Ed25519.SignatureSize];
        Ed25519.Sign(_secret, 0, digest, 0, digest.Length, value, 0);
        byte[] encoded = Algorithm == 27 ? value : [.. Mpi(value.AsSpan(0, 32)), .. Mpi(value.AsSpan(32))];
        return [.. hashedPart, (byte)(unhashedSubpackets.Length >> 8), (byte)unhashedSubpackets.Length, .. unhashedSubpackets, digest[0], digest[1], .. encoded];
    }

    /// <summary>The R half of the Ed25519 signature this key makes over data, for finding R with a zero byte.</summary>
    public byte FirstByteOfR(byte[] data, byte[] hashedSubpackets, int type = 0x00)
    {
        var body = Signature(type, data, hashedSubpackets, []);
        // Legacy EdDSA: the R MPI follows the two quick-check bytes; a short MPI means a leading zero.
        var at = 6 + hashedSubpackets.Length + 2 + 2;
        var bits = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(at));
        return bits <= 248 ? (byte)0 : body[at + 2];
    }

    private static byte[] Mpi(ReadOnlySpan<byte> value)
    {
        var trimmed = value.TrimStart((byte)0);
        var bits = trimmed.IsEmpty ? 0 : (trimmed.Length * 8) - byte.LeadingZeroCount(trimmed[0]);
        return [(byte)(bits >> 8), (byte)bits, .. trimmed];
    }

    private static byte[] BigEndian(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }
}
