using System.Security.Cryptography;
using System.Text;
using ImageUpdate.Formats.Verification;

namespace ImageUpdate.Tests.Formats.Verification;

public sealed class Sha256ManifestTests
{
    private const string HashA = "0f343b0931126a20f133d67c2b018a3b5e7e5b5e2d3b4b2b8f9a39e43f1e4b7a";
    private const string HashB = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
    private const string EmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static Sha256Manifest Parse(string text) => Sha256Manifest.Parse(Encoding.UTF8.GetBytes(text), "https://example.org/SHA256SUMS");

    [Fact]
    public void Parse_reads_text_and_binary_mode_lines_in_order()
    {
        var manifest = Parse($"{HashA}  part-1.raw.xz\n{HashB} *part-2.raw.xz\n");

        Assert.Equal(
            [new ManifestEntry("part-1.raw.xz", HashA, false, 1), new ManifestEntry("part-2.raw.xz", HashB, true, 2)],
            manifest.Entries);
        Assert.Null(manifest.BestBefore);
        Assert.Empty(manifest.Warnings);
    }

    [Fact]
    public void Parse_accepts_upper_case_hex_and_stores_lower_case()
    {
        var manifest = Parse($"{HashA.ToUpperInvariant()}  a\n");

        Assert.Equal(HashA, Assert.Single(manifest.Entries).Sha256);
    }

    [Fact]
    public void Parse_accepts_an_empty_manifest()
    {
        Assert.Empty(Parse("").Entries);
    }

    [Fact]
    public void Parse_accepts_utf8_names_spaces_and_dot_prefixed_names()
    {
        var manifest = Parse($"{HashA}  caf\u00e9 v2.raw\n{HashB}  ..hidden\n");

        Assert.Equal(["caf\u00e9 v2.raw", "..hidden"], manifest.Entries.Select(e => e.FileName));
    }

    [Theory]
    [InlineData("sub/blob-v1.bin")]
    [InlineData("a/b/c/blob-v1.bin")]
    [InlineData("sub/")]
    [InlineData("sub/..blob-v1.bin")]
    [InlineData("sub/ blob-v1.bin")]
    [InlineData("sub\\x/blob-v1.bin")]
    public void Parse_accepts_normalized_subpaths_as_systemd_262_does(string name)
    {
        var manifest = Sha256Manifest.Parse(Encoding.UTF8.GetBytes($"{HashA}  {name}\n"), "SHA256SUMS");

        var entry = Assert.Single(manifest.Entries);
        Assert.Equal(name, entry.FileName);
        Assert.Same(entry, manifest.Find(name));
        Assert.Empty(manifest.Warnings);
    }

    [Fact]
    public void Entry_matches_its_digest_only()
    {
        var data = "hello\n"u8.ToArray();
        var digest = SHA256.HashData(data);
        var manifest = Parse($"{Convert.ToHexString(digest)}  hello.txt\n");
        var entry = manifest.Find("hello.txt");

        Assert.NotNull(entry);
        Assert.True(entry.Matches(digest));
        digest[0] ^= 1;
        Assert.False(entry.Matches(digest));
        Assert.False(entry.Matches(digest.AsSpan(1)));
        Assert.Null(manifest.Find("HELLO.txt"));
    }

    [Theory]
    [InlineData("AAA  a\0b\n", "SHA256SUMS:1: The manifest contains a NUL byte")]
    [InlineData("HASH  a\nHASH  \u00ffb\n", "SHA256SUMS:2: The manifest is not valid UTF-8 (byte 0xc3")]
    [InlineData("HASH  a\n0123456789\n", "SHA256SUMS:2: Line \"0123456789\" is too short")]
    [InlineData("HASH\n", "is too short for a 64-digit digest")]
    [InlineData("HASH  a", "does not end in a newline after \"a\"")]
    [InlineData("HASH  a\nHASH  b", "SHA256SUMS:2: The manifest does not end in a newline")]
    [InlineData("\\HASH  a\\nb\n", "uses a backslash-escaped file name")]
    [InlineData("HASH  /x\n", "File name \"/x\" is absolute")]
    [InlineData("HASH  ../x\n", "Invalid filename \"../x\": a path in the manifest must be relative and normalized")]
    [InlineData("HASH  sub/nested/../x\n", "SHA256SUMS:1: Invalid filename \"sub/nested/../x\": a path in the manifest must be relative and normalized (no '.', '..' or empty components), refusing.")]
    [InlineData("HASH  sub/..\n", "Invalid filename \"sub/..\": a path")]
    [InlineData("HASH  sub/.\n", "Invalid filename \"sub/.\": a path")]
    [InlineData("HASH  ./sub/x\n", "Invalid filename \"./sub/x\": a path")]
    [InlineData("HASH  sub/./x\n", "Invalid filename \"sub/./x\": a path")]
    [InlineData("HASH  sub//x\n", "Invalid filename \"sub//x\": a path")]
    [InlineData("HASH  /abs/x\n", "File name \"/abs/x\" is absolute")]
    [InlineData("HASH  sub/nested/%2e%2e/x\n", "SHA256SUMS:1: Invalid filename \"sub/nested/%2e%2e/x\": it contains a '%', which the download URL would decode (a percent-encoded '..' could leave the source), refusing.")]
    [InlineData("HASH  %2E%2E/x\n", "Invalid filename \"%2E%2E/x\": it contains a '%'")]
    [InlineData("HASH  sub%2fx\n", "Invalid filename \"sub%2fx\": it contains a '%'")]
    [InlineData("HASH  blob-v1%.bin\n", "Invalid filename \"blob-v1%.bin\": it contains a '%'")]
    [InlineData("HASH  a\nHASHB  sub/../a\n", "SHA256SUMS:2: Invalid filename \"sub/../a\"")]
    [InlineData("HASH  ..\n", "File name \"..\" is not a file name")]
    [InlineData("HASH  .\n", "File name \".\" is not a file name")]
    [InlineData("HASH  \n", "The file name is empty")]
    [InlineData("HASH  a\r\n", "File name \"a\\r\" contains control characters")]
    [InlineData("HASH  a\tb\n", "File name \"a\\tb\" contains control characters")]
    [InlineData("HASH  a\u007f\n", "File name \"a\\x7f\" contains control characters")]
    [InlineData("HASH  a\u001b[31m\n", "File name \"a\\x1b[31m\" contains control characters")]
    [InlineData("0f343b0931126a20f133d67c2b018a3b5e7e5b5e2d3b4b2b8f9a39e43f1e4b7  a\n", "e4b7 \" is not 64 hexadecimal digits")]
    [InlineData("0f343b0931126a20f133d67c2b018a3b5e7e5b5e2d3b4b2b8f9a39e43f1e4b7g  a\n", "Digest \"0f343b0931126a20f133d67c2b018a3b5e7e5b5e2d3b4b2b8f9a39e43f1e4b7g\" is not 64 hexadecimal digits")]
    [InlineData(" 0f343b0931126a20f133d67c2b018a3b5e7e5b5e2d3b4b2b8f9a39e43f1e4b7a  a\n", "is not 64 hexadecimal digits")]
    [InlineData("00000000000000000000000000000000000000000000000000000000000000\t\t *malformed-v1.bin\n", "SHA256SUMS:1: Manifest hash at line 1 decoded to 31 bytes, refusing.")]
    [InlineData("HASH  a\n0000000000000000000000000000000000000000000000000000000000000000ab  b\n", "SHA256SUMS:2: Manifest hash at line 2 decoded to 33 bytes, refusing.")]
    [InlineData("HASHa  a\n", "lacks the space after the digest")]
    [InlineData("HASH a\n", "lacks the binary/text marker")]
    [InlineData("HASH\ta\n", "lacks the space after the digest")]
    [InlineData("HASH -a\n", "lacks the binary/text marker")]
    [InlineData("HASH  a\nHASHB  a\n", "SHA256SUMS:2: File \"a\" is listed again with a different digest (first on line 1)")]
    public void Parse_refuses_malformed_manifests(string template, string fragment)
    {
        var text = template.Replace("HASHB", HashB).Replace("HASH", HashA);
        var bytes = Encoding.UTF8.GetBytes(text);
        if (template.Contains('\u00ff'))
        {
            // A lone continuation byte: invalid UTF-8 that no .NET string can carry.
            var at = Array.IndexOf(bytes, (byte)0xc3);
            bytes = [.. bytes[..at], 0xc3, 0x28, .. bytes[(at + 2)..]];
        }

        var e = Assert.Throws<ManifestException>(() => Sha256Manifest.Parse(bytes, "SHA256SUMS"));
        Assert.Contains(fragment, e.Message);
        Assert.StartsWith("SHA256SUMS:", e.Message);
    }

    [Fact]
    public void Parse_keeps_a_third_space_as_the_start_of_the_name()
    {
        // "HASH   a": the third space starts the name; sha256sum would write such a name the same way.
        var manifest = Parse($"{HashA}   a\n");

        Assert.Equal(" a", Assert.Single(manifest.Entries).FileName);
    }

    [Fact]
    public void Parse_collapses_a_line_repeated_with_the_same_digest_and_warns()
    {
        var manifest = Parse($"{HashA}  a\n{HashA} *a\n");

        Assert.Single(manifest.Entries);
        Assert.Contains("listed twice with the same digest (first on line 1)", Assert.Single(manifest.Warnings));
    }

    [Fact]
    public void Parse_takes_best_before_markers_out_of_the_entries_and_keeps_the_earliest()
    {
        var manifest = Parse($"{EmptyHash}  BEST-BEFORE-2031-05-02\n{HashA}  a\n{EmptyHash}  BEST-BEFORE-2030-01-31\n");

        Assert.Equal(new DateOnly(2030, 1, 31), manifest.BestBefore);
        Assert.Equal(["a"], manifest.Entries.Select(e => e.FileName));
        Assert.Empty(manifest.Warnings);
    }

    [Fact]
    public void Parse_treats_a_best_before_marker_with_a_bad_date_as_a_file_and_warns()
    {
        var manifest = Parse($"{EmptyHash}  BEST-BEFORE-2030-02-30\n");

        Assert.Null(manifest.BestBefore);
        Assert.Equal("BEST-BEFORE-2030-02-30", Assert.Single(manifest.Entries).FileName);
        Assert.Contains("has no valid YYYY-MM-DD date", Assert.Single(manifest.Warnings));
    }

    [Fact]
    public void Parse_honours_a_best_before_marker_with_a_non_empty_digest_and_warns()
    {
        var manifest = Parse($"{HashA}  BEST-BEFORE-2030-02-28\n");

        Assert.Equal(new DateOnly(2030, 2, 28), manifest.BestBefore);
        Assert.Contains("lists the digest of a non-empty file", Assert.Single(manifest.Warnings));
    }

    [Theory]
    [InlineData("2024-06-01T12:00:00Z", null, ManifestFreshness.Fresh)]
    [InlineData("2024-06-30T23:59:59Z", null, ManifestFreshness.Fresh)]
    [InlineData("2024-07-01T00:00:00Z", null, ManifestFreshness.Fresh)]
    [InlineData("2024-07-01T00:00:01Z", "0", ManifestFreshness.StaleIgnored)]
    [InlineData("2030-01-01T00:00:00Z", "no", ManifestFreshness.StaleIgnored)]
    [InlineData("2030-01-01T00:00:00Z", "OFF", ManifestFreshness.StaleIgnored)]
    public void CheckFreshness_accepts_a_future_date_or_an_explicit_override(string now, string? variable, ManifestFreshness expected)
    {
        var manifest = Parse($"{EmptyHash}  BEST-BEFORE-2024-07-01\n");

        Assert.Equal(expected, manifest.CheckFreshness(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), variable));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("1")]
    [InlineData("yes")]
    [InlineData("")]
    [InlineData("bogus")]
    public void CheckFreshness_refuses_a_past_date_unless_the_variable_is_false(string? variable)
    {
        var manifest = Parse($"{EmptyHash}  BEST-BEFORE-2024-07-01\n");

        var e = Assert.Throws<ManifestException>(() => manifest.CheckFreshness(new DateTimeOffset(2024, 7, 2, 8, 0, 0, TimeSpan.Zero), variable));
        Assert.Equal(
            "https://example.org/SHA256SUMS: The file list is out of date: its best-before date 2024-07-01 has passed (now 2024-07-02 08:00:00 UTC), refusing; set SYSTEMD_SYSUPDATE_VERIFY_FRESHNESS=0 to ignore this.",
            e.Message);
    }

    [Fact]
    public void CheckFreshness_without_a_marker_says_so()
    {
        Assert.Equal(ManifestFreshness.NoMarker, Parse($"{HashA}  a\n").CheckFreshness(DateTimeOffset.UnixEpoch, null));
    }
}
