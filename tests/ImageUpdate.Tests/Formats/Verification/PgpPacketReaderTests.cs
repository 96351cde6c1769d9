using ImageUpdate.Formats.Verification;

namespace ImageUpdate.Tests.Formats.Verification;

public sealed class PgpPacketReaderTests
{
    [Fact]
    public void Describe_escapes_what_a_library_says()
    {
        var e = new IOException("bad byte \x1b[2J\nin line 2.");

        Assert.Equal(@"bad byte \x1b[2J\nin line 2.", PgpPacketReader.Describe(e));
    }

    [Fact]
    public void DescribeUnexpected_names_the_type_and_escapes_the_message()
    {
        // The last-resort nets around keyrings, signatures and signing keys print this.
        var e = new InvalidOperationException("bad byte \x1b[2J\r\nhere");

        Assert.Equal(@"InvalidOperationException: bad byte \x1b[2J\r\nhere", PgpPacketReader.DescribeUnexpected(e));
    }
}
