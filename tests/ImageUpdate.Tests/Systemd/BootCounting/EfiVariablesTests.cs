using System.Text;
using ImageUpdate.Systemd.BootCounting;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Systemd.BootCounting;

public sealed class EfiVariablesTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>What efivarfs shows: the attribute word (NV|BS|RT), then UTF-16LE text and its NUL.</summary>
    internal static byte[] Encode(string text) => [0x07, 0x00, 0x00, 0x00, .. Encoding.Unicode.GetBytes(text + "\0")];

    [Fact]
    public void A_variable_is_read_from_NAME_GUID_without_its_attributes_and_NUL()
    {
        File.WriteAllBytes(_dir["LoaderBootCountPath-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"], Encode(@"\EFI\Linux\os_2+0-1.efi"));
        File.WriteAllBytes(_dir["LoaderEntrySelected-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"], Encode("os_2+0-1.efi"));

        var variables = new EfiVariables(_dir.Path);

        Assert.Equal(@"\EFI\Linux\os_2+0-1.efi", variables.LoaderBootCountPath);
        Assert.Equal("os_2+0-1.efi", variables.LoaderEntrySelected);
    }

    [Fact]
    public void A_missing_variable_is_null_and_a_missing_directory_is_unavailable()
    {
        Assert.Null(new EfiVariables(_dir.Path).LoaderBootCountPath);
        Assert.True(new EfiVariables(_dir.Path).Available);
        Assert.False(new EfiVariables(_dir["absent"]).Available);
        Assert.Null(new EfiVariables(_dir["absent"]).LoaderEntrySelected);
    }

    [Fact]
    public void Text_without_a_terminating_NUL_is_taken_whole()
    {
        byte[] bytes = [0x06, 0, 0, 0, .. Encoding.Unicode.GetBytes("abc")];

        Assert.Equal("abc", EfiVariables.Decode("x", bytes));
    }

    [Theory]
    [InlineData(new byte[] { 0x07, 0x00, 0x00 }, "3 bytes is too short")]
    [InlineData(new byte[] { 0x07, 0x00, 0x00, 0x00, 0x41 }, "a UTF-16 string cannot be 1 bytes long")]
    [InlineData(new byte[] { 0x07, 0x00, 0x00, 0x00 }, "the variable is empty")]
    [InlineData(new byte[] { 0x07, 0x00, 0x00, 0x00, 0x00, 0x00 }, "the variable is empty")]
    public void A_malformed_variable_is_refused_naming_its_file(byte[] bytes, string fragment)
    {
        var path = _dir["LoaderEntrySelected-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"];
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<BootCountingException>(() => new EfiVariables(_dir.Path).LoaderEntrySelected);

        Assert.Contains(fragment, e.Message);
        Assert.StartsWith(path + ":", e.Message);
    }
}
