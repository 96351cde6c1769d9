using ImageUpdate.Formats.Verification;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Tests.Formats.Verification;

public sealed class KeyringLocatorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("image-update-keyring-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_explicit_option_wins_even_when_it_does_not_exist()
    {
        Touch("/etc/systemd/import-pubring.pgp");

        Assert.Equal(["/nonexistent/keys.pgp"], KeyringLocator.FindAll("/nonexistent/keys.pgp", "/env/keys.pgp", _root));
    }

    [Fact]
    public void The_environment_names_the_one_keyring_instead_of_the_defaults()
    {
        Touch("/etc/systemd/import-pubring.pgp");
        Touch("/usr/lib/systemd/import-pubring.pgp");

        Assert.Equal(["/env/missing.pgp"], KeyringLocator.FindAll(null, "/env/missing.pgp", _root));
    }

    [Theory]
    [InlineData("relative.pgp")]
    [InlineData("/a/../b.pgp")]
    [InlineData("/a//b.pgp")]
    [InlineData("/a/./b.pgp")]
    public void The_environment_must_name_an_absolute_normalized_path(string value)
    {
        var e = Assert.Throws<UsageException>(() => KeyringLocator.FindAll(null, value, _root));
        Assert.Equal($"$SYSTEMD_OPENPGP_KEYRING must be an absolute, normalized path, got '{value}'.", e.Message);
    }

    // systemd 262 (pinned by Differential/KeyringDifferentialTests): the local keyring (.pgp, or the
    // legacy .gpg only when the .pgp is absent) and the vendor keyring, both trusted.
    [Theory]
    [InlineData(new[] { "/etc/systemd/import-pubring.pgp", "/etc/systemd/import-pubring.gpg", "/usr/lib/systemd/import-pubring.pgp" }, new[] { "/etc/systemd/import-pubring.pgp", "/usr/lib/systemd/import-pubring.pgp" })]
    [InlineData(new[] { "/etc/systemd/import-pubring.pgp", "/etc/systemd/import-pubring.gpg" }, new[] { "/etc/systemd/import-pubring.pgp" })]
    [InlineData(new[] { "/etc/systemd/import-pubring.gpg", "/usr/lib/systemd/import-pubring.pgp" }, new[] { "/etc/systemd/import-pubring.gpg", "/usr/lib/systemd/import-pubring.pgp" })]
    [InlineData(new[] { "/usr/lib/systemd/import-pubring.pgp" }, new[] { "/usr/lib/systemd/import-pubring.pgp" })]
    [InlineData(new[] { "/etc/systemd/import-pubring.gpg" }, new[] { "/etc/systemd/import-pubring.gpg" })]
    public void The_defaults_overlay_the_local_and_the_vendor_keyring_under_the_root(string[] existing, string[] expected)
    {
        foreach (var path in existing)
        {
            Touch(path);
        }

        Assert.Equal(expected.Select(p => _root + p), KeyringLocator.FindAll(null, null, _root));
        Assert.Equal(expected.Select(p => _root + p), KeyringLocator.FindAll("", "", _root + "/"));
    }

    [Fact]
    public void Nothing_is_found_when_no_keyring_exists()
    {
        Assert.Empty(KeyringLocator.FindAll(null, null, _root));
    }

    private void Touch(string path)
    {
        var full = _root + path;
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, []);
    }
}
