using ImageUpdate.Foundation.Errors;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// The boundary to BouncyCastle's OpenPGP: one framed <see cref="PgpPacket"/> in, BouncyCastle's
/// object out. Only version 4 keys and signatures go through (the policy of issue 4); whatever
/// BouncyCastle throws on a packet it cannot read (IOException, PgpException, ArgumentException and
/// the rest) leaves as a <see cref="VerificationException"/> naming the packet.
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

        return Decode(what, () => new PgpPublicKey((PublicKeyPacket)Read(packet)));
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

        return Decode(what, () => ((PgpSignatureList)new PgpObjectFactory(packet.Encoded.ToArray()).NextPgpObject())[0]);
    }

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

    private static Packet Read(PgpPacket packet) =>
        new BcpgInputStream(new MemoryStream(packet.Encoded.ToArray(), writable: false)).ReadPacket();
}
