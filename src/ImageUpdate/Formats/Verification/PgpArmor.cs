using System.Buffers.Text;
using System.Text;
using ImageUpdate.Foundation.Errors;
using Org.BouncyCastle.Bcpg;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// ASCII armor (RFC 4880 §6.2, RFC 9580 §6.2): "-----BEGIN PGP X-----", optional "Key: value" headers,
/// a blank line, base64 lines, an optional "=" CRC-24 line, "-----END PGP X-----". Several blocks may
/// follow one another (concatenated <c>gpg --export --armor</c> output); their contents are joined.
/// Text outside blocks is ignored, as gpg does.
/// </summary>
/// <remarks>
/// Ours because BouncyCastle's <c>ArmoredInputStream</c> is lenient where this policy is strict: it
/// reads a block that lacks its END line, header lines without ": ", data after the checksum line
/// (which the checksum then does not cover), and runs on into whatever block follows whatever its
/// kind. Here each of these is refused with a message naming the fault. The CRC-24 is BouncyCastle's.
/// </remarks>
internal static class PgpArmor
{
    /// <summary>Decodes every block titled <paramref name="title"/> (e.g. "PUBLIC KEY BLOCK").</summary>
    /// <exception cref="VerificationException">A block is malformed, fails its checksum, or there is none.</exception>
    public static byte[] Decode(ReadOnlySpan<byte> data, string title, string what)
    {
        var begin = $"-----BEGIN PGP {title}-----";
        var end = $"-----END PGP {title}-----";
        var lines = Encoding.Latin1.GetString(data).Split('\n');
        var output = new List<byte>();
        var blocks = 0;

        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r', ' ', '\t');
            if (line.StartsWith("-----BEGIN PGP ", StringComparison.Ordinal) && line != begin)
            {
                throw new VerificationException($"The {what} holds an armored \"{UntrustedText.Escape(line)}\" block where \"{begin}\" is expected.");
            }

            if (line != begin)
            {
                continue;
            }

            blocks++;
            i++;
            // Armor headers run up to the first blank line.
            while (i < lines.Length && lines[i].TrimEnd('\r', ' ', '\t').Length != 0)
            {
                if (!lines[i].Contains(": ", StringComparison.Ordinal))
                {
                    throw new VerificationException($"The {what} has an armor header line without ': ' (\"{UntrustedText.Escape(lines[i])}\") or lacks the blank line after the headers.");
                }

                i++;
            }

            i++;
            var base64 = new StringBuilder();
            string? checksum = null;
            var closed = false;
            for (; i < lines.Length; i++)
            {
                var body = lines[i].TrimEnd('\r', ' ', '\t');
                if (body == end)
                {
                    closed = true;
                    break;
                }

                if (body.StartsWith('=') && body.Length == 5)
                {
                    checksum = body[1..];
                    continue;
                }

                if (checksum is not null)
                {
                    throw new VerificationException($"The {what} has data after its armor checksum line.");
                }

                base64.Append(body);
            }

            if (!closed)
            {
                throw new VerificationException($"The {what} lacks the \"{end}\" line.");
            }

            var bytes = DecodeBase64(base64.ToString(), what);
            if (checksum is not null)
            {
                var expected = DecodeBase64(checksum, what);
                var crc = Crc24(bytes);
                if (expected.Length != 3 || expected[0] != (byte)(crc >> 16) || expected[1] != (byte)(crc >> 8) || expected[2] != (byte)crc)
                {
                    throw new VerificationException($"The {what} fails its armor checksum (damaged in transit?).");
                }
            }

            output.AddRange(bytes);
        }

        if (blocks == 0)
        {
            throw new VerificationException($"The {what} is neither binary OpenPGP data nor holds a \"{begin}\" block.");
        }

        return [.. output];
    }

    private static byte[] DecodeBase64(string text, string what)
    {
        var buffer = new byte[Base64.GetMaxDecodedFromUtf8Length(text.Length)];
        if (!Convert.TryFromBase64String(text, buffer, out var written))
        {
            throw new VerificationException($"The {what} holds armor that is not valid base64.");
        }

        return buffer[..written];
    }

    // RFC 4880 §6.1, computed by BouncyCastle.
    private static uint Crc24(byte[] data)
    {
        var crc = new Crc24();
        foreach (var b in data)
        {
            crc.Update(b);
        }

        return (uint)crc.Value;
    }
}
