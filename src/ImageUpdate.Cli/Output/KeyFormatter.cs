using System.Globalization;
using ImageUpdate.Formats.Verification;
using ImageUpdate.Systemd.Reporting;

namespace ImageUpdate.Cli.Output;

/// <summary>`keys list`: what an admin compares against a published fingerprint, as with APT keys.</summary>
public static class KeyFormatter
{
    public static void Write(TextWriter output, string origin, IReadOnlyList<KeyInfo> keys, JsonMode json, bool legend)
    {
        if (json != JsonMode.Off)
        {
            JsonOutput.Write(output, json, w => ImageUpdateJson.WriteKeys(w, origin, keys));
            return;
        }

        var table = new Table("fingerprint", "algorithm", "created", "expires", "user id");
        foreach (var key in keys)
        {
            var expires = key.Revoked ? "revoked" : key.Expires?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "never";
            table.Add(key.Fingerprint, key.Algorithm, key.Created.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), expires, key.UserId);
        }

        table.WriteTo(output, legend);
        if (legend)
        {
            output.WriteLine();
            output.WriteLine($"{keys.Count} keys in {origin}.");
        }
    }
}
