using System.Buffers.Binary;
using System.Security.Cryptography;
using ImageUpdate.Foundation.Errors;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// The boundary to BouncyCastle's OpenPGP: one framed <see cref="PgpPacket"/> in, BouncyCastle's
/// object out. Only version 4 keys and signatures go through (the policy of issue 4); whatever
/// BouncyCastle throws on a packet it cannot read (IOException, PgpException, ArgumentException and
/// the rest) leaves as a <see cref="VerificationException"/> naming the packet. Bytes after a key's
/// material or a signature's value, which BouncyCastle ignores, are refused as they were before it.
/// </summary>
internal static class PgpPacketReader
{
    /// <exception cref="VerificationException">The packet is not a version 4 key BouncyCastle can read.</exception>
    public static PgpPublicKey ReadPublicKey(PgpPacket packet, string what)
    {
        if (packet.Version != 4)
        {
            throw new VerificationException($"The {what} is a version {packet.Version} key; only version 4 keys are supported.");
        }

        var key = Decode(what, () => new PgpPublicKey((PublicKeyPacket)Read(packet)));
        ExpectKeyEnd(packet.Body.Span, what);
        return key;
    }

    /// <exception cref="VerificationException">The packet is not a version 4 secret key BouncyCastle can read.</exception>
    public static SecretKeyPacket ReadSecretKey(PgpPacket packet, string what)
    {
        if (packet.Version != 4)
        {
            throw new VerificationException($"The {what} is a version {packet.Version} key; only version 4 keys are supported.");
        }

        return Decode(what, () => (SecretKeyPacket)Read(packet));
    }

    /// <exception cref="VerificationException">The packet is not a version 4 signature BouncyCastle can read.</exception>
    public static PgpSignature ReadSignature(PgpPacket packet, string what)
    {
        if (packet.Version != 4)
        {
            throw new VerificationException($"The {what} is a version {packet.Version} signature; only version 4 signatures are supported.");
        }

        var signature = Decode(what, () => ((PgpSignatureList)new PgpObjectFactory(packet.Encoded.ToArray()).NextPgpObject())[0]);
        ExpectSignatureEnd(packet.Body.Span, what);
        return signature;
    }

    /// <summary>An embedded signature (subpacket 32, a subkey's back-signature), held to the rules of a signature packet.</summary>
    /// <exception cref="VerificationException">It is not a version 4 signature BouncyCastle can read.</exception>
    public static PgpSignature ReadEmbeddedSignature(SignatureSubpacket embedded, string what)
    {
        var body = embedded.GetData();
        var version = body.Length == 0 ? -1 : body[0];
        if (version != 4)
        {
            throw new VerificationException($"The {what} is a version {version} signature; only version 4 signatures are supported.");
        }

        var signature = Decode(what, () => PgpSignatureSubpacketVector.FromSubpackets([embedded]).GetEmbeddedSignatures()[0]);
        ExpectSignatureEnd(body, what);
        return signature;
    }

    /// <summary>
    /// The fingerprint of a version 4 key packet computed from its bytes (RFC 4880 §12.2: SHA-1 over
    /// 0x99, the two-byte body length and the body), for a key BouncyCastle cannot read; null for
    /// any other version or a body too short to name an algorithm.
    /// </summary>
    public static byte[]? Version4Fingerprint(PgpPacket packet)
    {
        if (packet.Version != 4 || packet.Body.Length < 6 || packet.Body.Length > ushort.MaxValue)
        {
            return null;
        }

        byte[] hashed = [0x99, (byte)(packet.Body.Length >> 8), (byte)packet.Body.Length, .. packet.Body.Span];
        return SHA1.HashData(hashed);
    }

    /// <summary>The algorithm number of a key packet, or -1 when its body is too short to hold one.</summary>
    public static int KeyAlgorithm(PgpPacket packet) => packet.Body.Length < 6 ? -1 : packet.Body.Span[5];

    /// <summary>Runs <paramref name="read"/>, turning any exception BouncyCastle throws into ours.</summary>
    public static T Decode<T>(string what, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is not (OutOfMemoryException or VerificationException))
        {
            throw new VerificationException($"The {what} cannot be read: {Describe(e)}", e);
        }
    }

    /// <summary>BouncyCastle's message as one sentence, escaped (it may quote bytes of the input).</summary>
    public static string Describe(Exception e)
    {
        var message = UntrustedText.Escape(e.Message.Trim()).TrimEnd('.');
        return (message.Length == 0 ? "malformed" : message) + ".";
    }

    /// <summary>
    /// An exception no one expected, for the last-resort nets around keyrings, signatures and signing
    /// keys: its type and its message escaped (the message may be a library's and quote the input).
    /// </summary>
    public static string DescribeUnexpected(Exception e) => $"{e.GetType().Name}: {UntrustedText.Escape(e.Message)}";

    // BouncyCastle stops reading a key or signature body after the algorithm's fields and ignores
    // whatever follows, so a valid signature with bytes appended would still verify. The two walks
    // below find where the algorithm's fields end and refuse the rest, for the algorithms whose
    // fields we know (the others are refused as unsupported anyway).
    private static void ExpectKeyEnd(ReadOnlySpan<byte> body, string what)
    {
        // Version 4 key: version, four-byte creation time, algorithm, then its fields (RFC 4880 §5.5.2).
        var at = Skip(body, 0, 6, what);
        switch (body[5])
        {
            case 1 or 2 or 3:
                at = SkipMpi(body, SkipMpi(body, at, what), what);
                break;

            case (int)PublicKeyAlgorithmTag.EdDsa_Legacy:
                // The curve OID with its length byte, then the point.
                var oid = Skip(body, at, 1, what);
                at = SkipMpi(body, Skip(body, oid, body[at], what), what);
                break;

            case 27:
                at = Skip(body, at, 32, what);
                break;

            default:
                return;
        }

        ExpectEnd(body, at, what);
    }

    private static void ExpectSignatureEnd(ReadOnlySpan<byte> body, string what)
    {
        // Version 4 signature: version, type, algorithms, two subpacket areas with two-byte lengths,
        // the two quick-check bytes, then the value (RFC 4880 §5.2.3).
        var at = Area(body, 4, what);
        at = Area(body, at, what);
        at = Skip(body, at, 2, what);
        switch (body[2])
        {
            case 1 or 3:
                at = SkipMpi(body, at, what);
                break;

            case (int)PublicKeyAlgorithmTag.EdDsa_Legacy:
                at = SkipMpi(body, SkipMpi(body, at, what), what);
                break;

            case 27:
                at = Skip(body, at, 64, what);
                break;

            default:
                return;
        }

        ExpectEnd(body, at, what);
    }

    // RFC 4880 §3.2: a two-byte bit count, then (bits + 7) / 8 bytes.
    private static int SkipMpi(ReadOnlySpan<byte> body, int at, string what) =>
        Skip(body, Skip(body, at, 2, what), (BinaryPrimitives.ReadUInt16BigEndian(body[at..]) + 7) / 8, what);

    // A subpacket area: a two-byte length, then that many bytes.
    private static int Area(ReadOnlySpan<byte> body, int at, string what) =>
        Skip(body, Skip(body, at, 2, what), BinaryPrimitives.ReadUInt16BigEndian(body[at..]), what);

    private static int Skip(ReadOnlySpan<byte> body, int at, int count, string what)
    {
        if (count > body.Length - at)
        {
            throw new VerificationException($"The {what} is truncated: it needs {count} more bytes at offset {at} but has {body.Length - at}.");
        }

        return at + count;
    }

    private static void ExpectEnd(ReadOnlySpan<byte> body, int at, string what)
    {
        if (at != body.Length)
        {
            throw new VerificationException($"The {what} has {body.Length - at} unexpected bytes at its end.");
        }
    }

    private static Packet Read(PgpPacket packet) =>
        new BcpgInputStream(new MemoryStream(packet.Encoded.ToArray(), writable: false)).ReadPacket();
}
