using ImageUpdate.Update.Transfers;

namespace ImageUpdate.Tests.Update.Transfers;

public sealed class BadVersionRecordTests
{
    [Fact]
    public void Versions_are_kept_in_version_order_once_each()
    {
        var text = BadVersionRecord.Add(BadVersionRecord.Add(BadVersionRecord.Add(null, "10"), "9"), "10");
        Assert.Equal("9\n10\n", text);
        Assert.Equal(["9", "10"], BadVersionRecord.Parse(text));
    }

    [Fact]
    public void Lines_that_are_not_versions_are_ignored_and_the_oldest_fall_off()
    {
        Assert.Equal(["2"], BadVersionRecord.Parse("../x\n\n2\n a b \n"));
        var text = Enumerable.Range(1, BadVersionRecord.Capacity + 5).Aggregate((string?)null, (t, v) => BadVersionRecord.Add(t, v.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var kept = BadVersionRecord.Parse(text!);
        Assert.Equal(BadVersionRecord.Capacity, kept.Count);
        Assert.Equal("6", kept[0]);
    }
}
