using ImageUpdate.Formats.Versions;

namespace ImageUpdate.Tests.Formats.Versions;

public sealed class VersionComparerTests
{
    // The order systemd documents for strverscmp_improved (sysupdate.md §3), oldest first.
    private static readonly string[] PublishedChain =
        ["122.1", "123~rc1", "123", "123-a", "123-1", "123^post1", "123.a-1", "123.1-1", "123a-1", "124"];

    public static TheoryData<string, string> ChainPairs()
    {
        var data = new TheoryData<string, string>();
        for (var i = 0; i < PublishedChain.Length; i++)
        {
            for (var j = i + 1; j < PublishedChain.Length; j++)
            {
                data.Add(PublishedChain[i], PublishedChain[j]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ChainPairs))]
    public void Every_pair_of_the_published_chain_is_ordered_both_ways(string older, string newer)
    {
        Assert.True(VersionComparer.CompareVersions(older, newer) < 0, $"{older} < {newer}");
        Assert.True(VersionComparer.CompareVersions(newer, older) > 0, $"{newer} > {older}");
    }

    [Fact]
    public void Every_member_of_the_published_chain_equals_itself()
    {
        foreach (var version in PublishedChain)
        {
            Assert.Equal(0, VersionComparer.CompareVersions(version, version));
        }
    }

    [Fact]
    public void Sorting_a_shuffled_chain_gives_the_published_order()
    {
        var shuffled = PublishedChain.Reverse().ToList();
        shuffled.Sort(VersionComparer.Instance);
        Assert.Equal(PublishedChain, shuffled);
    }

    // Expected values worked out by hand from the algorithm in string-util-fundamental.c.
    [Theory]
    // leading zeros are ignored; a longer number is newer, whatever its size
    [InlineData("00123", "123", 0)]
    [InlineData("0", "00", 0)]
    [InlineData("1.01", "1.1", 0)]
    [InlineData("1.0", "1.00", 0)]
    [InlineData("9", "10", -1)]
    [InlineData("010", "9", 1)]
    [InlineData("123456789012345678901234567890", "123456789012345678901234567891", -1)]
    [InlineData("123456789012345678901234567890", "99999999999999999999999999999", 1)]
    // digits beat letters
    [InlineData("1", "a", 1)]
    [InlineData("1.1", "1.a", 1)]
    [InlineData("a1", "1", -1)]
    // letters compare byte-wise (upper case first); a longer run is newer
    [InlineData("abc", "abd", -1)]
    [InlineData("abc", "abcde", -1)]
    [InlineData("B", "a", -1)]
    [InlineData("1a", "1b", -1)]
    // characters outside [A-Za-z0-9~^.-] only separate segments
    [InlineData("123_a", "123a", 0)]
    [InlineData("1+2", "1_2", 0)]
    [InlineData("1_2", "12", -1)]
    [InlineData("1+2", "1.2", 1)]
    [InlineData("__1", "1", 0)]
    [InlineData("1 2", "1:2", 0)]
    // the end of the string: longer is newer, except that '~' is older still
    [InlineData("1", "1.0", -1)]
    [InlineData("1-", "1", 1)]
    [InlineData("1~", "1", -1)]
    // after a pair of '~' is consumed, the end check compares NUL with the next '~': NUL is older
    [InlineData("1~", "1~~", -1)]
    [InlineData("", "~", 1)]
    [InlineData("", "0", -1)]
    [InlineData("~1", "~2", -1)]
    [InlineData("1~rc1", "1~rc2", -1)]
    [InlineData("1~rc10", "1~rc9", 1)]
    // prefixes: '-' older than '^' older than '.' older than none
    [InlineData("1-2", "1.2", -1)]
    [InlineData("1-2", "1^2", -1)]
    [InlineData("1^2", "1.2", -1)]
    [InlineData("1.2", "1a", -1)]
    [InlineData("1-9", "1.1", -1)]
    [InlineData("1--2", "1-2", -1)]
    [InlineData("1..2", "1.2", -1)]
    // after a pair of '-', the '^' rule runs before any end check: the side with '^' is older
    [InlineData("1-^2", "1-", -1)]
    // what follows a '~' is not filtered before the segment rules apply
    [InlineData("~_1", "~1", -1)]
    // real-world strings
    [InlineData("247.2-3.1.fc33.x86_64", "247.2-3.1.fc33.x86_64", 0)]
    [InlineData("247.2-3.1.fc33.x86_64", "247.2-3.1.fc34.x86_64", -1)]
    [InlineData("5.11.0-0.rc5.20210128git76c057c84d28.137.fc34", "5.11.0-1.fc34", -1)]
    [InlineData("202508160438", "202508170001", -1)]
    public void Compares_as_strverscmp_improved(string a, string b, int expected)
    {
        Assert.Equal(expected, Math.Sign(VersionComparer.CompareVersions(a, b)));
        Assert.Equal(-expected, Math.Sign(VersionComparer.CompareVersions(b, a)));
    }

    [Fact]
    public void Null_compares_as_the_empty_string()
    {
        Assert.Equal(0, VersionComparer.CompareVersions(null, null));
        Assert.Equal(0, VersionComparer.CompareVersions(null, ""));
        Assert.True(VersionComparer.CompareVersions(null, "1") < 0);
        Assert.True(VersionComparer.CompareVersions("1", null) > 0);
        Assert.True(VersionComparer.CompareVersions(null, "~1") > 0);
        Assert.True(VersionComparer.Instance.Compare(null, "0") < 0);
    }

    [Fact]
    public void A_non_ascii_character_after_a_tilde_ranks_below_the_end_as_a_signed_char_does()
    {
        // systemd compares the raw C chars here; on x86-64 a UTF-8 lead byte is negative.
        Assert.True(VersionComparer.CompareVersions("~\u00e9", "~") < 0);
        Assert.True(VersionComparer.CompareVersions("~", "~\u00e9") > 0);
    }

    [Fact]
    public void The_order_is_antisymmetric_and_transitive_over_many_strings()
    {
        string[] samples =
        [
            "", "0", "00", "1", "1.0", "1.0.1", "1-1", "1^1", "1~1", "1~", "1a", "1.a", "1-a", "a", "A",
            "abc", "abcd", "2", "10", "010", "1_1", "1+1", "~", "~~", "1-", "1.", "1^", "v1", "v1.2",
            "123~rc1", "123", "123-a", "123^post1", "124", "1..2", "1--2", "1.2-3^4~5",
        ];

        foreach (var a in samples)
        {
            foreach (var b in samples)
            {
                var ab = Math.Sign(VersionComparer.CompareVersions(a, b));
                var ba = Math.Sign(VersionComparer.CompareVersions(b, a));
                Assert.True(ab == -ba, $"antisymmetry fails for '{a}' and '{b}'");
                foreach (var c in samples)
                {
                    if (ab <= 0 && Math.Sign(VersionComparer.CompareVersions(b, c)) <= 0)
                    {
                        Assert.True(VersionComparer.CompareVersions(a, c) <= 0, $"'{a}' <= '{b}' <= '{c}' but not '{a}' <= '{c}'");
                    }
                }
            }
        }
    }

    // systemd 262's set (the differential tests check it against the real 262): 257 refused '~' and
    // '^' and accepted ','; we follow 262.
    [Theory]
    [InlineData("1")]
    [InlineData("1.2.3")]
    [InlineData("1_2")]
    [InlineData("1-2")]
    [InlineData("1+3-0")]
    [InlineData("Av9z")]
    [InlineData("202508160438")]
    [InlineData("1~rc1")]
    [InlineData("1^2")]
    [InlineData("1.10^post1")]
    [InlineData("~1")]
    public void Accepts_versions_sysupdate_accepts(string version)
    {
        Assert.True(VersionComparer.IsValid(version));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("1/2")]
    [InlineData("1,2")]
    [InlineData("1 2")]
    [InlineData("1:2")]
    [InlineData("1\n")]
    [InlineData("\u00e9")]
    [InlineData("1@2")]
    [InlineData("1%2")]
    public void Refuses_versions_sysupdate_refuses(string? version)
    {
        Assert.False(VersionComparer.IsValid(version));
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public void Refuses_the_dot_names_that_newer_systemd_lets_through(string version)
    {
        // systemd main checks filename_part_is_valid, which lets "." and ".." pass; as a version they
        // would name the directory itself or its parent, so image-update refuses them.
        Assert.False(VersionComparer.IsValid(version));
    }

    [Fact]
    public void A_version_may_be_as_long_as_a_file_name_and_no_longer()
    {
        Assert.True(VersionComparer.IsValid(new string('1', 255)));
        Assert.False(VersionComparer.IsValid(new string('1', 256)));
    }
}
