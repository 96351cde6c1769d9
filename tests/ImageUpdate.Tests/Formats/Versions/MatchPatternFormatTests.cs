using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Tests.Formats.Versions;

public sealed class MatchPatternFormatTests
{
    private const string Sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    private static readonly InstanceMetadata Full = new()
    {
        Version = "1.2",
        PartitionUuid = new Guid("01234567-89ab-cdef-0123-456789abcdef"),
        PartitionFlags = 0x8000000000000001,
        NoAuto = true,
        GrowFileSystem = false,
        ReadOnly = true,
        ModificationTimeUsec = 1700000000000000,
        Mode = 0x1A4,
        Size = 4096,
        TriesDone = 0,
        TriesLeft = 3,
        Sha256 = Sha.ToUpperInvariant(),
    };

    [Theory]
    [InlineData("part1-@v", "part1-1.2")]
    [InlineData("uki_@v+@l-@d.efi", "uki_1.2+3-0.efi")]
    [InlineData("uki_@v.efi.extra.d/extra.addon.efi", "uki_1.2.efi.extra.d/extra.addon.efi")]
    [InlineData("@v_@u.root", "1.2_0123456789abcdef0123456789abcdef.root")]
    [InlineData("@v_@f", "1.2_8000000000000001")]
    [InlineData("@v_@a@@@g@@@r", "1.2_1@0@1")]
    [InlineData("@v_@t", "1.2_1700000000000000")]
    [InlineData("@v_@m", "1.2_644")]
    [InlineData("@v_@s", "1.2_4096")]
    [InlineData("@v_@h", "1.2_" + Sha)]
    [InlineData("**/foo_@v.efi", "foo_1.2.efi")]
    public void Writes_each_wildcard_in_its_canonical_form(string pattern, string expected)
    {
        Assert.Equal(expected, MatchPattern.Parse(pattern).Format(Full));
    }

    [Theory]
    [InlineData(0u, "000")]
    [InlineData(5u, "005")]
    [InlineData(0x1EDu, "755")]
    [InlineData(0xFFFu, "7777")]
    public void Writes_a_mode_as_at_least_three_octal_digits(uint mode, string expected)
    {
        Assert.Equal("1_" + expected, MatchPattern.Parse("@v_@m").Format(new InstanceMetadata { Version = "1", Mode = mode }));
    }

    [Theory]
    [InlineData("@v_@u", "'@u' (partition UUID)")]
    [InlineData("@v_@f", "'@f' (partition flags)")]
    [InlineData("@v_@a", "'@a' (no-auto flag)")]
    [InlineData("@v_@g", "'@g' (grow-file-system flag)")]
    [InlineData("@v_@r", "'@r' (read-only flag)")]
    [InlineData("@v_@t", "'@t' (modification time)")]
    [InlineData("@v_@m", "'@m' (file mode)")]
    [InlineData("@v_@s", "'@s' (size)")]
    [InlineData("@v_@d", "'@d' (tries done)")]
    [InlineData("@v_@l", "'@l' (tries left)")]
    [InlineData("@v_@h", "'@h' (SHA-256)")]
    public void Refuses_to_format_a_wildcard_without_a_value(string pattern, string fragment)
    {
        var error = Assert.Throws<PatternException>(() => MatchPattern.Parse(pattern).Format(new InstanceMetadata { Version = "1" }));
        Assert.Contains("needs a value for " + fragment, error.Message);
    }

    [Fact]
    public void Refuses_to_format_without_a_version()
    {
        var error = Assert.Throws<PatternException>(() => MatchPattern.Parse("a_@v").Format(new InstanceMetadata()));
        Assert.Equal("Pattern 'a_@v' needs a value for '@v' (version), but none is set.", error.Message);
    }

    [Theory]
    [InlineData("@v_@s")]
    [InlineData("@v_@d")]
    [InlineData("@v_@l")]
    [InlineData("@v_@t")]
    public void Treats_uint64_max_as_no_value_as_systemd_does(string pattern)
    {
        var metadata = new InstanceMetadata
        {
            Version = "1",
            Size = ulong.MaxValue,
            TriesDone = ulong.MaxValue,
            TriesLeft = ulong.MaxValue,
            ModificationTimeUsec = ulong.MaxValue,
        };
        var error = Assert.Throws<PatternException>(() => MatchPattern.Parse(pattern).Format(metadata));
        Assert.Contains("needs a value for", error.Message);
    }

    [Theory]
    [InlineData("a_@v", "", "it is not a valid version")]
    [InlineData("a_@v", "1/2", "it is not a valid version")]
    [InlineData("a_@v", "1,2", "it is not a valid version")]
    [InlineData("@v", "..", "it is not a valid version")]
    [InlineData("@v/x", ".", "it is not a valid version")]
    public void Refuses_a_version_that_would_not_make_a_safe_name(string pattern, string version, string fragment)
    {
        var error = Assert.Throws<PatternException>(() => MatchPattern.Parse(pattern).Format(new InstanceMetadata { Version = version }));
        Assert.Contains(fragment, error.Message);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData(Sha + "0")]
    public void Refuses_a_malformed_sha256(string sha)
    {
        var error = Assert.Throws<PatternException>(
            () => MatchPattern.Parse("@v_@h").Format(new InstanceMetadata { Version = "1", Sha256 = sha }));
        Assert.Contains("it is not a SHA-256 in hex", error.Message);
    }

    [Fact]
    public void Refuses_a_mode_that_is_not_a_file_mode()
    {
        var error = Assert.Throws<PatternException>(
            () => MatchPattern.Parse("@v_@m").Format(new InstanceMetadata { Version = "1", Mode = 0x1000 }));
        Assert.Contains("it is not a file mode", error.Message);
    }

    [Fact]
    public void Dots_inside_a_name_are_fine()
    {
        Assert.Equal("dir-...1", MatchPattern.Parse("dir-@v").Format(new InstanceMetadata { Version = "...1" }));
    }

    public static TheoryData<string> RoundTripPatterns() =>
    [
        "img-@v_@u_@f_@a_@g_@r_@t_@m_@s_@d_@l_@h.raw",
        "@h-@l-@d-@s-@m-@t-@r-@g-@a-@f-@u-@v",
        "@v/@u/@f/@a/@g/@r/@t/@m/@s/@d/@l/@h",
        "uki_@v+@l-@d.efi",
        "@v",
    ];

    [Theory]
    [MemberData(nameof(RoundTripPatterns))]
    public void Format_then_match_gives_back_the_same_metadata(string text)
    {
        var pattern = MatchPattern.Parse(text);
        var random = new Random(20240601);
        for (var n = 0; n < 500; n++)
        {
            var metadata = Generate(random, pattern, n);
            var name = pattern.Format(metadata);
            var result = pattern.Match(name);
            Assert.Equal(PatternMatchKind.Match, result.Kind);
            Assert.Equal(metadata, result.Metadata);
        }
    }

    // Only values a pattern can carry unambiguously: the version avoids the literal that follows it
    // ('_' or '+' or '-'), and a component that is all version is never "." or "..".
    private static InstanceMetadata Generate(Random random, MatchPattern pattern, int n)
    {
        const string versionChars = "abcXYZ0123456789.~^";
        var hex = new char[64];
        for (var i = 0; i < hex.Length; i++)
        {
            hex[i] = "0123456789abcdef"[random.Next(16)];
        }

        var bytes = new byte[16];
        random.NextBytes(bytes);
        var version = new string([.. Enumerable.Range(0, 1 + random.Next(12)).Select(_ => versionChars[random.Next(versionChars.Length)])]);
        if (version.Trim('.').Length == 0)
        {
            version = "v" + version;
        }

        ulong Next64(bool allowMax) => n switch
        {
            0 => 0,
            1 => allowMax ? ulong.MaxValue : ulong.MaxValue - 1,
            _ => (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63),
        };

        return new InstanceMetadata
        {
            Version = version,
            PartitionUuid = pattern.HasWildcard('u') ? new Guid(bytes) : null,
            PartitionFlags = pattern.HasWildcard('f') ? Next64(allowMax: true) : null,
            NoAuto = pattern.HasWildcard('a') ? random.Next(2) == 1 : null,
            GrowFileSystem = pattern.HasWildcard('g') ? random.Next(2) == 1 : null,
            ReadOnly = pattern.HasWildcard('r') ? random.Next(2) == 1 : null,
            ModificationTimeUsec = pattern.HasWildcard('t') ? Next64(allowMax: false) : null,
            Mode = pattern.HasWildcard('m') ? (uint)random.Next(0x1000) & 0x1FDu : null,
            Size = pattern.HasWildcard('s') ? Next64(allowMax: false) : null,
            TriesDone = pattern.HasWildcard('d') ? Next64(allowMax: false) : null,
            TriesLeft = pattern.HasWildcard('l') ? Next64(allowMax: false) : null,
            Sha256 = pattern.HasWildcard('h') ? new string(hex) : null,
        };
    }
}
