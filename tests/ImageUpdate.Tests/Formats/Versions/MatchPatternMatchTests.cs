using ImageUpdate.Formats.Versions;

namespace ImageUpdate.Tests.Formats.Versions;

public sealed class MatchPatternMatchTests
{
    private const string Uuid = "0123456789abcdef0123456789abcdef";
    private const string Sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    private static InstanceMetadata MatchOf(string pattern, string name)
    {
        var result = MatchPattern.Parse(pattern).Match(name);
        Assert.Equal(PatternMatchKind.Match, result.Kind);
        Assert.True(result.IsMatch);
        return Assert.IsType<InstanceMetadata>(result.Metadata);
    }

    private static PatternMatchKind KindOf(string pattern, string name) => MatchPattern.Parse(pattern).Match(name).Kind;

    [Theory]
    [InlineData("part1-@v", "part1-1", "1")]
    [InlineData("part1-@v", "part1-1.2.3", "1.2.3")]
    [InlineData("a-very-long-partition-name-@v", "a-very-long-partition-name-2", "2")]
    [InlineData("dir-@v", "dir-3", "3")]
    [InlineData("linux-@v.erofs", "linux-4.erofs", "4")]
    [InlineData("uki_@v.efi", "uki_1+3-0.efi", "1+3-0")]
    [InlineData("kde-linux_@v_root-x86-64.erofs", "kde-linux_202508160438_root-x86-64.erofs", "202508160438")]
    [InlineData("foo_@v.raw", "foo_1.2.raw", "1.2")]
    [InlineData("@v", "v1.2_3+4-5", "v1.2_3+4-5")]
    [InlineData("part1-@v", "part1-1~rc1", "1~rc1")] // '~' and '^' are version characters since systemd 262
    [InlineData("foo_@v.raw", "foo_1.10^post1.raw", "1.10^post1")]
    [InlineData("foo@@_@v", "foo@_7", "7")]
    public void Captures_the_version(string pattern, string name, string version)
    {
        var metadata = MatchOf(pattern, name);
        Assert.Equal(version, metadata.Version);
        Assert.Equal(new InstanceMetadata { Version = version }, metadata);
    }

    [Theory]
    [InlineData("part1-@v", "part2-1")]
    [InlineData("part1-@v", "part1-")]
    [InlineData("part1-@v", "xpart1-1")]
    [InlineData("part1-@v", "part1-1,2")] // ',' is not, since systemd 262 (257 took it)
    [InlineData("part1-@v", "part1-1 2")]
    [InlineData("dir-@v", "dir-1/x")]
    // the whole name must be consumed (systemd #41899, issue #38605)
    [InlineData("linux-@v.erofs", "linux-1.erofs.caibx")]
    [InlineData("kde-linux_@v_root-x86-64.erofs", "kde-linux_202508160438_root-x86-64.erofs.caibx")]
    // non-greedy: the capture stops at the FIRST occurrence of the next literal, with no backtracking
    [InlineData("foo_@v.raw", "foo_1.raw.raw")]
    [InlineData("@v_@u.root", "1_2_" + Uuid + ".root")]
    [InlineData("foo@@_@v", "foo@@_1")]
    [InlineData("foo@@_@v", "foo_1")]
    [InlineData("foo_@v.raw", "foo_1")]
    public void Does_not_match(string pattern, string name)
    {
        var result = MatchPattern.Parse(pattern).Match(name);
        Assert.Equal(PatternMatchKind.NoMatch, result.Kind);
        Assert.Null(result.Metadata);
    }

    [Fact]
    public void A_slash_pattern_asks_to_descend_when_the_name_ends_at_the_slash()
    {
        const string pattern = "uki_@v.efi.extra.d/extra.addon.efi";
        Assert.Equal(PatternMatchKind.Retry, KindOf(pattern, "uki_1.efi.extra.d"));
        Assert.Null(MatchPattern.Parse(pattern).Match("uki_1.efi.extra.d").Metadata);
        Assert.Equal("1", MatchOf(pattern, "uki_1.efi.extra.d/extra.addon.efi").Version);
        Assert.Equal(PatternMatchKind.NoMatch, KindOf(pattern, "uki_1.efi.extra.d/other.addon.efi"));
        Assert.Equal(PatternMatchKind.NoMatch, KindOf(pattern, "uki_1.efi.extra.d/"));
        Assert.Equal(PatternMatchKind.NoMatch, KindOf(pattern, "uki_1.efi"));
        Assert.Equal(PatternMatchKind.NoMatch, KindOf(pattern, "uki_1.efi.extra.dx"));
        Assert.Equal(PatternMatchKind.NoMatch, KindOf(pattern, "uki_1.efi.extra.d/extra.addon.efi/more"));
    }

    [Fact]
    public void A_wildcard_right_before_a_slash_captures_up_to_the_slash()
    {
        // systemd #42896: this used to trip an assertion.
        const string pattern = "foo_@v/bar.efi";
        Assert.Equal(PatternMatchKind.Retry, KindOf(pattern, "foo_1"));
        Assert.Equal("1", MatchOf(pattern, "foo_1/bar.efi").Version);
        Assert.Equal(PatternMatchKind.NoMatch, KindOf(pattern, "foo_1/baz.efi"));
        Assert.Equal(PatternMatchKind.NoMatch, KindOf(pattern, "foo_/bar.efi"));
        Assert.Equal(PatternMatchKind.NoMatch, KindOf(pattern, "foo_1,/bar.efi"));

        var nested = MatchOf("@v/@u/x", "2/" + Uuid + "/x");
        Assert.Equal("2", nested.Version);
        Assert.Equal(Guid.ParseExact(Uuid, "N"), nested.PartitionUuid);
        Assert.Equal(PatternMatchKind.Retry, KindOf("@v/@u/x", "2/" + Uuid));
        Assert.Equal(PatternMatchKind.NoMatch, KindOf("@v/@u/x", "2/not-a-uuid"));
    }

    [Theory]
    [InlineData(Uuid)]
    [InlineData("01234567-89ab-cdef-0123-456789abcdef")]
    [InlineData("01234567-89AB-CDEF-0123-456789ABCDEF")]
    [InlineData("0123456789ABCDEF0123456789abcdef")]
    public void Reads_a_partition_uuid_with_or_without_dashes(string text)
    {
        var metadata = MatchOf("@v_@u.root", "1.2_" + text + ".root");
        Assert.Equal("1.2", metadata.Version);
        Assert.Equal(new Guid("01234567-89ab-cdef-0123-456789abcdef"), metadata.PartitionUuid);
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcde")]
    [InlineData("0123456789abcdef0123456789abcdef0")]
    [InlineData("01234567-89ab-cdef0123-456789abcdef")]
    [InlineData("0123456-789ab-cdef-0123-456789abcdef")]
    [InlineData("{01234567-89ab-cdef-0123-456789abcdef}")]
    [InlineData("0123456789abcdef0123456789abcdeg")]
    [InlineData("")]
    public void Refuses_a_malformed_partition_uuid(string text)
    {
        Assert.Equal(PatternMatchKind.NoMatch, KindOf("@v_@u.root", "1_" + text + ".root"));
    }

    [Theory]
    [InlineData("0", 0UL)]
    [InlineData("ff", 255UL)]
    [InlineData("FF", 255UL)]
    [InlineData("0x1F", 31UL)]
    [InlineData("+a", 10UL)]
    [InlineData("-0", 0UL)]
    [InlineData("8000000000000000", 0x8000000000000000UL)]
    [InlineData("ffffffffffffffff", ulong.MaxValue)]
    public void Reads_partition_flags_as_hex(string text, ulong expected)
    {
        Assert.Equal(expected, MatchOf("@v_@f", "1_" + text).PartitionFlags);
    }

    [Theory]
    [InlineData("")]
    [InlineData("g")]
    [InlineData("-1")]
    [InlineData("0x")]
    [InlineData("10000000000000000")]
    [InlineData("1 ")]
    public void Refuses_malformed_partition_flags(string text)
    {
        Assert.Equal(PatternMatchKind.NoMatch, KindOf("@v_@f", "1_" + text));
    }

    // safe_atou64(): C prefixes, leading whitespace and a sign are accepted; a leading 0 means octal.
    [Theory]
    [InlineData("0", 0UL)]
    [InlineData("10", 10UL)]
    [InlineData("010", 8UL)]
    [InlineData("0x10", 16UL)]
    [InlineData("0X1f", 31UL)]
    [InlineData("0o10", 8UL)]
    [InlineData("0b101", 5UL)]
    [InlineData(" 5", 5UL)]
    [InlineData("+5", 5UL)]
    [InlineData("-0", 0UL)]
    [InlineData("18446744073709551614", 18446744073709551614UL)]
    public void Reads_a_decimal_field_as_safe_atou64_does(string text, ulong expected)
    {
        Assert.Equal(expected, MatchOf("@v_@s", "1_" + text).Size);
        Assert.Equal(expected, MatchOf("@v_@d", "1_" + text).TriesDone);
        Assert.Equal(expected, MatchOf("@v_@l", "1_" + text).TriesLeft);
        Assert.Equal(expected, MatchOf("@v_@t", "1_" + text).ModificationTimeUsec);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("-1")]
    [InlineData("5 ")]
    [InlineData("09")]
    [InlineData("0b2")]
    [InlineData("0x")]
    [InlineData("1.5")]
    [InlineData("18446744073709551615")] // UINT64_MAX is systemd's "unset"
    [InlineData("18446744073709551616")] // overflow
    public void Refuses_a_malformed_decimal_field(string text)
    {
        foreach (var letter in "sdlt")
        {
            Assert.Equal(PatternMatchKind.NoMatch, KindOf($"@v_@{letter}", "1_" + text));
        }
    }

    [Theory]
    [InlineData("644", 0x1A4u)]
    [InlineData("0644", 0x1A4u)]
    [InlineData("775", 0x1FDu)]
    [InlineData("0", 0u)]
    [InlineData("444", 0x124u)]
    [InlineData(" 755", 0x1EDu)]
    public void Reads_a_mode_in_octal(string text, uint expected)
    {
        Assert.Equal(expected, MatchOf("@v_@m", "1_" + text).Mode);
    }

    [Theory]
    [InlineData("666")] // world-writable
    [InlineData("777")]
    [InlineData("4755")] // setuid
    [InlineData("2755")] // setgid
    [InlineData("1755")] // sticky
    [InlineData("10000")] // above 07777
    [InlineData("+644")]
    [InlineData("-0")]
    [InlineData("8")]
    [InlineData("0o644")]
    [InlineData("0x1a4")]
    [InlineData("")]
    public void Refuses_a_mode_outside_0775_or_malformed(string text)
    {
        Assert.Equal(PatternMatchKind.NoMatch, KindOf("@v_@m", "1_" + text));
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("yes", true)]
    [InlineData("y", true)]
    [InlineData("true", true)]
    [InlineData("t", true)]
    [InlineData("on", true)]
    [InlineData("YES", true)]
    [InlineData("On", true)]
    [InlineData("0", false)]
    [InlineData("no", false)]
    [InlineData("n", false)]
    [InlineData("false", false)]
    [InlineData("f", false)]
    [InlineData("off", false)]
    [InlineData("OFF", false)]
    public void Reads_a_flag_as_parse_boolean_does(string text, bool expected)
    {
        Assert.Equal(expected, MatchOf("@v_@a", "1_" + text).NoAuto);
        Assert.Equal(expected, MatchOf("@v_@g", "1_" + text).GrowFileSystem);
        Assert.Equal(expected, MatchOf("@v_@r", "1_" + text).ReadOnly);
    }

    [Theory]
    [InlineData("")]
    [InlineData("2")]
    [InlineData("yess")]
    [InlineData("enable")]
    [InlineData(" 1")]
    [InlineData("ye\u017f")] // a long s: its upper case is 'S', but parse_boolean only folds ASCII
    public void Refuses_a_malformed_flag(string text)
    {
        foreach (var letter in "agr")
        {
            Assert.Equal(PatternMatchKind.NoMatch, KindOf($"@v_@{letter}", "1_" + text));
        }
    }

    [Fact]
    public void Reads_a_sha256_in_either_case_and_keeps_it_lower_case()
    {
        Assert.Equal(Sha, MatchOf("@v_@h.raw", "1_" + Sha + ".raw").Sha256);
        Assert.Equal(Sha, MatchOf("@v_@h.raw", "1_" + Sha.ToUpperInvariant() + ".raw").Sha256);
        Assert.Equal(PatternMatchKind.NoMatch, KindOf("@v_@h.raw", "1_" + Sha[1..] + ".raw"));
        Assert.Equal(PatternMatchKind.NoMatch, KindOf("@v_@h.raw", "1_" + Sha + "0.raw"));
        Assert.Equal(PatternMatchKind.NoMatch, KindOf("@v_@h.raw", "1_" + Sha[1..] + "g.raw"));
    }

    [Fact]
    public void Captures_every_wildcard_in_one_name()
    {
        var metadata = MatchOf(
            "x@v_@u_@f_@a_@g_@r_@t_@m_@s_@d_@l_@h.raw",
            $"x1.2_{Uuid}_ff_1_0_yes_1700000000000000_644_4096_1_2_{Sha}.raw");
        Assert.Equal(
            new InstanceMetadata
            {
                Version = "1.2",
                PartitionUuid = Guid.ParseExact(Uuid, "N"),
                PartitionFlags = 255,
                NoAuto = true,
                GrowFileSystem = false,
                ReadOnly = true,
                ModificationTimeUsec = 1700000000000000,
                Mode = 0x1A4,
                Size = 4096,
                TriesDone = 1,
                TriesLeft = 2,
                Sha256 = Sha,
            },
            metadata);
    }

    [Fact]
    public void An_any_depth_pattern_matches_the_basename_at_any_depth()
    {
        const string pattern = "**/foo_@v.efi";
        Assert.Equal("1", MatchOf(pattern, "foo_1.efi").Version);
        Assert.Equal("2", MatchOf(pattern, "a/foo_2.efi").Version);
        Assert.Equal("3", MatchOf(pattern, "a/b/c/foo_3.efi").Version);
        Assert.Equal(PatternMatchKind.NoMatch, KindOf(pattern, "a/foo_3.efi.sig"));
        Assert.Equal(PatternMatchKind.NoMatch, KindOf(pattern, "foo_3.efi/x"));
        Assert.Equal(PatternMatchKind.NoMatch, KindOf("foo_@v.efi", "a/foo_3.efi"));
    }

    [Fact]
    public void An_any_depth_pattern_with_a_slash_matches_the_trailing_components()
    {
        const string pattern = "**/foo_@v/bar.efi";
        Assert.Equal("1", MatchOf(pattern, "foo_1/bar.efi").Version);
        Assert.Equal("2", MatchOf(pattern, "x/y/foo_2/bar.efi").Version);
        Assert.Equal(PatternMatchKind.Retry, KindOf(pattern, "foo_1"));
        Assert.Equal(PatternMatchKind.NoMatch, KindOf(pattern, "x/foo_2/baz.efi"));
    }
}
