using ImageUpdate.Platform.DBus;

namespace ImageUpdate.Tests.Platform.DBus;

public sealed class DBusAddressTests
{
    [Fact]
    public void A_list_of_addresses_is_split_and_unescaped()
    {
        var addresses = DBusAddress.Parse("unix:path=/tmp/a%20b%2cc,guid=0123;unix:abstract=/tmp/dbus-x;tcp:host=localhost,port=1");
        Assert.Equal(3, addresses.Count);
        Assert.Equal("/tmp/a b,c", addresses[0].UnixSocketPath);
        Assert.Equal("0123", addresses[0].Properties["guid"]);
        Assert.Equal("\0/tmp/dbus-x", addresses[1].UnixSocketPath);
        Assert.Equal("tcp", addresses[2].Transport);
        Assert.Null(addresses[2].UnixSocketPath);
    }

    [Theory]
    [InlineData("unix:path=%zz", "has a bad %-escape")]
    [InlineData("unix:path=%2", "has a bad %-escape")]
    [InlineData("nocolon", "has no transport")]
    [InlineData("unix:path", "is not key=value")]
    [InlineData("unix:path=/a,path=/b", "appears twice")]
    [InlineData(";", "it is empty")]
    public void Malformed_addresses_are_refused(string address, string fragment)
    {
        var error = Assert.Throws<DBusException>(() => DBusAddress.Parse(address));
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Match_rules_quote_apostrophes_as_the_spec_says()
    {
        var rule = new MatchRule { Interface = "a.b", Member = "C", Arg0 = "it's" };
        Assert.Equal("type='signal',interface='a.b',member='C',arg0='it'\\''s'", rule.ToString());
    }
}
