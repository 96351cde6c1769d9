using System.Text;

namespace ImageUpdate.Foundation.Errors;

/// <summary>
/// Makes text that came from outside (file names, manifest lines, server responses) safe to print:
/// printable ASCII stays, backslash and everything else become escapes, so no terminal control
/// sequence or newline from an attacker reaches a log or a terminal.
/// </summary>
public static class UntrustedText
{
    public static string Escape(string text) => Escape(Encoding.UTF8.GetBytes(text));

    public static string Escape(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            switch (b)
            {
                case (byte)'\\':
                    builder.Append(@"\\");
                    break;
                case (byte)'\n':
                    builder.Append(@"\n");
                    break;
                case (byte)'\t':
                    builder.Append(@"\t");
                    break;
                case (byte)'\r':
                    builder.Append(@"\r");
                    break;
                case >= 0x20 and < 0x7f:
                    builder.Append((char)b);
                    break;
                default:
                    builder.Append(@"\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                    break;
            }
        }

        return builder.ToString();
    }
}
