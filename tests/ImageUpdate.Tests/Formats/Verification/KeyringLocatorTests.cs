using ImageUpdate.Formats.Verification;

namespace ImageUpdate.Tests.Formats.Verification;

public sealed class KeyringLocatorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("image-update-keyring-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Find_prefers_the_explicit_option_even_when_it_does_not_exist()
    {
        Touch("/etc/systemd/import-pubring.pgp");

        Assert.Equal("/nonexistent/keys.pgp", KeyringLocator.Find("/nonexistent/keys.pgp", _root));
    }

    [Theory]
    [InlineData(new[] { "/etc/systemd/import-pubring.pgp", "/etc/systemd/import-pubring.gpg", "/usr/lib/systemd/import-pubring.pgp" }, "/etc/systemd/import-pubring.pgp")]
    [InlineData(new[] { "/etc/systemd/import-pubring.gpg", "/usr/lib/systemd/import-pubring.pgp" }, "/etc/systemd/import-pubring.gpg")]
    [InlineData(new[] { "/usr/lib/systemd/import-pubring.pgp" }, "/usr/lib/systemd/import-pubring.pgp")]
    public void Find_takes_the_first_existing_default_under_the_root(string[] existing, string expected)
    {
        foreach (var path in existing)
        {
            Touch(path);
        }

        Assert.Equal(_root + expected, KeyringLocator.Find(null, _root));
        Assert.Equal(_root + expected, KeyringLocator.Find("", _root + "/"));
    }

    [Fact]
    public void Find_returns_null_when_no_keyring_exists()
    {
        Assert.Null(KeyringLocator.Find(null, _root));
    }

    private void Touch(string path)
    {
        var full = _root + path;
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, []);
    }
}
