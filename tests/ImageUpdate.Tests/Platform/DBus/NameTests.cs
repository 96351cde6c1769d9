using ImageUpdate.Platform.DBus;

namespace ImageUpdate.Tests.Platform.DBus;

public sealed class NameTests
{
    [Theory]
    [InlineData("org.freedesktop.DBus", true)]
    [InlineData("a.b", true)]
    [InlineData("_a._b9", true)]
    [InlineData("a", false)]
    [InlineData("a..b", false)]
    [InlineData(".a.b", false)]
    [InlineData("a.b.", false)]
    [InlineData("a.9b", false)]
    [InlineData("a-b.c", false)]
    [InlineData("", false)]
    public void Interface_names_follow_the_spec(string name, bool valid)
    {
        Assert.Equal(valid, DBusNames.IsValidInterface(name));
    }

    [Theory]
    [InlineData(":1.42", true)]
    [InlineData(":a.1", true)]
    [InlineData("org.freedesktop.login1", true)]
    [InlineData("com.example.my-service", true)]
    [InlineData("org.9abc", false)]
    [InlineData("single", false)]
    [InlineData(":1", false)]
    [InlineData(":", false)]
    [InlineData("a.b c", false)]
    public void Bus_names_follow_the_spec(string name, bool valid)
    {
        Assert.Equal(valid, DBusNames.IsValidBusName(name));
    }

    [Fact]
    public void Names_longer_than_255_bytes_are_refused()
    {
        var name = "a." + new string('b', 253);
        Assert.True(DBusNames.IsValidInterface(name));
        Assert.False(DBusNames.IsValidInterface(name + "b"));
        Assert.False(DBusNames.IsValidMember(new string('m', 256)));
    }

    [Theory]
    [InlineData("Ping", true)]
    [InlineData("_x1", true)]
    [InlineData("1x", false)]
    [InlineData("a.b", false)]
    [InlineData("", false)]
    public void Member_names_follow_the_spec(string name, bool valid)
    {
        Assert.Equal(valid, DBusNames.IsValidMember(name));
    }

    [Theory]
    [InlineData("/", true)]
    [InlineData("/org/freedesktop/login1", true)]
    [InlineData("/a_1/B", true)]
    [InlineData("", false)]
    [InlineData("a", false)]
    [InlineData("/a/", false)]
    [InlineData("//a", false)]
    [InlineData("/a-b", false)]
    public void Object_paths_follow_the_spec(string path, bool valid)
    {
        Assert.Equal(valid, DBusNames.IsValidObjectPath(path));
    }

    [Fact]
    public void Building_a_call_with_a_bad_name_quotes_it()
    {
        var error = Assert.Throws<DBusProtocolException>(() => DBusMessage.MethodCall("x", "/", null, "Ping"));
        Assert.Equal("'x' is not a valid D-Bus bus name.", error.Message);
    }
}
