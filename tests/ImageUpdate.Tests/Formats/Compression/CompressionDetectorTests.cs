using ImageUpdate.Formats.Compression;

namespace ImageUpdate.Tests.Formats.Compression;

public sealed class CompressionDetectorTests
{
    [Theory]
    [InlineData("FD377A585A00", CompressionKind.Xz)]
    [InlineData("1F8B08000000", CompressionKind.Gzip)]
    [InlineData("425A68393141", CompressionKind.Bzip2)]
    [InlineData("28B52FFD2400", CompressionKind.Zstd)]
    [InlineData("28B52FFD24005A", CompressionKind.Zstd)]
    [InlineData("7F454C460201", CompressionKind.None)]
    [InlineData("FD377A585A01", CompressionKind.None)]
    [InlineData("1F8C08000000", CompressionKind.None)]
    [InlineData("425A67393141", CompressionKind.None)]
    [InlineData("28B52FFE2400", CompressionKind.None)]
    public void Detect_recognises_each_magic_and_nothing_else(string headHex, CompressionKind expected)
    {
        Assert.Equal(expected, CompressionDetector.Detect(Convert.FromHexString(headHex)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1F")]
    [InlineData("1F8B")]
    [InlineData("425A68")]
    [InlineData("28B52FFD")]
    [InlineData("FD377A585A")]
    public void Detect_treats_input_shorter_than_the_longest_magic_as_uncompressed(string headHex)
    {
        // systemd's import_uncompress_detect waits for six bytes before it decides anything.
        Assert.Equal(CompressionKind.None, CompressionDetector.Detect(Convert.FromHexString(headHex)));
    }
}
