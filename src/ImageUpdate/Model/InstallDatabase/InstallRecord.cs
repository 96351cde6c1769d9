using System.Security.Cryptography;
using System.Text;

namespace ImageUpdate.Model.InstallDatabase;

/// <summary>
/// One entry of systemd-sysupdate 262's installation database: a directory a transfer installed into
/// and one target pattern of that transfer. On disk it is a symbolic link whose target is
/// <see cref="Value"/> ("DIRECTORY/./PATTERN": the "/./" separates the directory from the pattern) and
/// whose name is <see cref="Key"/>, the lower-case hex SHA-256 of that value, so the same pair is
/// recorded once however often it is installed.
/// </summary>
/// <param name="Directory">The target directory as seen from inside the root: absolute and normalized.</param>
/// <param name="Pattern">The target's MatchPattern= text, as written in the transfer.</param>
public sealed record InstallRecord(string Directory, string Pattern)
{
    /// <summary>What separates the directory from the pattern in <see cref="Value"/>.</summary>
    public const string Separator = "/./";

    /// <summary>The symbolic link's target.</summary>
    public string Value => Directory + Separator + Pattern;

    /// <summary>The symbolic link's name: the SHA-256 of <see cref="Value"/>, 64 lower-case hex digits.</summary>
    public string Key => KeyOf(Value);

    /// <summary>The name an entry holding <paramref name="value"/> must have.</summary>
    public static string KeyOf(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
