using System.Security.Cryptography;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// One line of a SHA256SUMS manifest: a file name, or a normalized subpath such as <c>sub/file</c> (as in
/// systemd 262; <see cref="Sha256Manifest"/> says what is refused), its SHA-256 digest as lower-case
/// hex, and whether sha256sum marked it as read in binary mode (<c>*</c>) or text mode (space).
/// The mode changes nothing on Linux; it is kept only so the line can be reproduced.
/// </summary>
public sealed record ManifestEntry(string FileName, string Sha256, bool BinaryMode, int Line)
{
    /// <summary>True when <paramref name="digest"/> (32 raw bytes) is the digest this entry lists.</summary>
    public bool Matches(ReadOnlySpan<byte> digest)
    {
        if (digest.Length != SHA256.HashSizeInBytes)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[SHA256.HashSizeInBytes];
        Convert.FromHexString(Sha256, expected, out _, out _);
        // Constant time although both digests are public: it costs nothing and avoids the question.
        return CryptographicOperations.FixedTimeEquals(expected, digest);
    }
}
