using ImageUpdate.Systemd.BootCounting;

namespace ImageUpdate.Tests.Systemd.BootCounting;

public sealed class BootCounterNameTests
{
    [Theory]
    [InlineData("os_2+3.efi", "os_2", 3ul, null, ".efi")]
    [InlineData("os_2+3-1.efi", "os_2", 3ul, 1ul, ".efi")]
    [InlineData("os_2+0-5.efi", "os_2", 0ul, 5ul, ".efi")]
    [InlineData("entry+1-0.conf", "entry", 1ul, 0ul, ".conf")]
    [InlineData("a+b+2-1.conf", "a+b", 2ul, 1ul, ".conf")]
    [InlineData("os+03.efi", "os", 3ul, null, ".efi")]
    [InlineData("os+3junk.efi", "os", 3ul, null, "junk.efi")]
    [InlineData("os+3-2-1.efi", "os", 3ul, 2ul, "-1.efi")]
    [InlineData("os+18446744073709551615-18446744073709551615.efi", "os", ulong.MaxValue, ulong.MaxValue, ".efi")]
    [InlineData("os+7", "os", 7ul, null, "")]
    public void A_counter_is_the_last_plus_and_its_digits(string name, string prefix, ulong left, ulong? done, string suffix)
    {
        var parsed = BootCounterName.Parse(name);

        Assert.Equal(name, parsed.FileName);
        Assert.Equal(prefix, parsed.Prefix);
        Assert.Equal(left, parsed.TriesLeft);
        Assert.Equal(done, parsed.TriesDone);
        Assert.Equal(suffix, parsed.Suffix);
        Assert.True(parsed.HasCounter);
    }

    [Theory]
    [InlineData("os+.efi", "'tries left' counter is empty")]
    [InlineData("os+x3.efi", "'tries left' counter is empty")]
    [InlineData("os+3-.efi", "'tries done' counter is empty")]
    [InlineData("os+3-x.efi", "'tries done' counter is empty")]
    [InlineData("os+18446744073709551616.efi", "'tries left' counter 18446744073709551616 is larger than 2^64-1")]
    [InlineData("os+1-99999999999999999999.efi", "'tries done' counter 99999999999999999999 is larger than 2^64-1")]
    public void A_malformed_counter_on_the_booted_entry_is_refused(string name, string fragment)
    {
        var e = Assert.Throws<BootCountingException>(() => BootCounterName.Parse(name));

        Assert.Contains(fragment, e.Message);
        Assert.Contains($"'{name}'", e.Message);
    }

    [Theory]
    [InlineData("os+.efi")]
    [InlineData("os+3-.efi")]
    [InlineData("os+18446744073709551616.efi")]
    public void A_malformed_counter_on_another_entry_counts_as_no_counter(string name)
    {
        var parsed = BootCounterName.ParseLenient(name);

        Assert.False(parsed.HasCounter);
        Assert.False(parsed.IsBad);
        Assert.Equal(name, parsed.FileName);
    }

    [Theory]
    [InlineData("os_2.efi", "os_2", ".efi", "os_2+0.efi")]
    [InlineData("entry.conf", "entry", ".conf", "entry+0.conf")]
    [InlineData("noext", "noext", "", "noext+0")]
    [InlineData(".hidden", ".hidden", "", ".hidden+0")]
    public void A_name_without_a_counter_splits_before_its_extension(string name, string prefix, string suffix, string bad)
    {
        var parsed = BootCounterName.Parse(name);

        Assert.False(parsed.HasCounter);
        Assert.Null(parsed.TriesDone);
        Assert.Equal(prefix, parsed.Prefix);
        Assert.Equal(suffix, parsed.Suffix);
        Assert.Equal(name, parsed.GoodName);
        Assert.Equal(bad, parsed.BadName);
    }

    [Theory]
    [InlineData("os+3-1.efi", "os.efi", "os+0-1.efi")]
    [InlineData("os+3.efi", "os.efi", "os+0.efi")]
    [InlineData("os+3-0.efi", "os.efi", "os+0.efi")]
    [InlineData("os+0-4.efi", "os.efi", "os+0-4.efi")]
    [InlineData("os+3junk.efi", "osjunk.efi", "os+0junk.efi")]
    [InlineData("os+007-002.conf", "os.conf", "os+0-2.conf")]
    public void Good_drops_the_counter_and_bad_keeps_the_tries_done(string name, string good, string bad)
    {
        var parsed = BootCounterName.Parse(name);

        Assert.Equal(good, parsed.GoodName);
        Assert.Equal(bad, parsed.BadName);
    }

    [Theory]
    [InlineData("os+0.efi", true)]
    [InlineData("os+0-3.efi", true)]
    [InlineData("os+1-3.efi", false)]
    [InlineData("os.efi", false)]
    public void No_tries_left_is_bad(string name, bool bad) => Assert.Equal(bad, BootCounterName.Parse(name).IsBad);

    [Fact]
    public void Format_writes_what_Parse_reads()
    {
        var formatted = BootCounterName.Format("os_3", 3, 0, ".efi");
        var again = BootCounterName.Parse(formatted.FileName);

        Assert.Equal("os_3+3-0.efi", formatted.FileName);
        Assert.Equal(formatted, again);
        Assert.Equal("os_3+3.efi", BootCounterName.Format("os_3", 3, null, ".efi").FileName);
    }
}
