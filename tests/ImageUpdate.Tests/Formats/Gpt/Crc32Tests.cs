using System.Text;
using ImageUpdate.Formats.Gpt;

namespace ImageUpdate.Tests.Formats.Gpt;

public sealed class Crc32Tests
{
    // Check values of CRC-32/ISO-HDLC (the zlib/IEEE CRC UEFI uses); the last was computed with
    // python3 -c "import zlib; print(hex(zlib.crc32(bytes((i*31)%251 for i in range(1000)))))".
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("123456789", 0xCBF43926u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x414FA339u)]
    public void Crc32_matches_the_published_check_values(string text, uint expected) =>
        Assert.Equal(expected, Crc32.Compute(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void Crc32_matches_zlib_over_a_longer_buffer()
    {
        var bytes = Enumerable.Range(0, 1000).Select(i => (byte)(i * 31 % 251)).ToArray();
        Assert.Equal(0xB403841Fu, Crc32.Compute(bytes));
    }

    [Fact]
    public void Crc32_can_be_computed_in_pieces()
    {
        var bytes = Encoding.ASCII.GetBytes("123456789");
        var register = Crc32.Append(uint.MaxValue, bytes.AsSpan(0, 4));
        register = Crc32.Append(register, bytes.AsSpan(4));
        Assert.Equal(0xCBF43926u, ~register);
    }
}
