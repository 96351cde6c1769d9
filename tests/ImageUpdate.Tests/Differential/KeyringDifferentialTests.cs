using ImageUpdate.Tests.Oracle;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Differential;

/// <summary>
/// Which keyrings a signature is checked against, against systemd-sysupdate 262 (TEST-72's
/// test_signature_keyring_overlay and test_signature_verification): the local keyring
/// (/etc/systemd/import-pubring.pgp, or import-pubring.gpg only when the .pgp is absent) overlaid with
/// the vendor keyring (/usr/lib/systemd/import-pubring.pgp), or $SYSTEMD_OPENPGP_KEYRING alone. The
/// oracle reads the host's keyrings, so it runs in a mount namespace of ours in which the chroot's
/// /etc/systemd and vendor keyring are this test's files; image-update reads them under --root=.
/// </summary>
public sealed class KeyringDifferentialTests(ITestOutputHelper output)
{
    private const string Transfer = """
        [Source]
        Type=url-file
        Path=file://@W@/server
        MatchPattern=payload-@v.raw

        [Target]
        Type=regular-file
        Path=/target
        MatchPattern=payload-@v.raw
        """;

    // signer, /etc .pgp, /etc .gpg, vendor .pgp, $SYSTEMD_OPENPGP_KEYRING (each a key letter or "-"), accepted
    public static TheoryData<string, string, string, string, string, bool> Rows => new()
    {
        { "A", "A", "-", "-", "-", true },
        { "B", "A", "B", "-", "-", false }, // The legacy .gpg is not read while the .pgp exists.
        { "A", "A", "B", "-", "-", true },
        { "C", "A", "-", "C", "-", true }, // Local and vendor keyrings overlay.
        { "B", "-", "B", "C", "-", true }, // The legacy .gpg, with the .pgp absent, overlays the vendor one.
        { "C", "-", "B", "C", "-", true },
        { "A", "B", "-", "C", "-", false },
        { "A", "B", "-", "-", "A", true }, // $SYSTEMD_OPENPGP_KEYRING replaces the defaults...
        { "B", "B", "-", "B", "A", false }, // ...all of them.
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Both_tools_trust_the_same_keyrings(string signer, string localPgp, string localGpg, string vendor, string environment, bool accepted)
    {
        var oracle = SysupdateOracle.ForTest(output, SysupdateOracle.Followed);
        if (oracle is null)
        {
            return;
        }

        using var keys = new Keys();
        using var world = new TempDirectory("image-update-keyring-diff-");
        var root = world["root"];
        Directory.CreateDirectory(Path.Combine(root, "etc/sysupdate.d"));
        Directory.CreateDirectory(Path.Combine(root, "target"));
        Directory.CreateDirectory(world["server"]);
        File.WriteAllText(Path.Combine(root, "etc/sysupdate.d/01-payload.transfer"), Transfer.Replace("@W@", world.Path, StringComparison.Ordinal) + "\n");
        File.WriteAllText(world["server/payload-1.raw"], "payload");
        File.WriteAllText(world["server/SHA256SUMS"], $"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("payload"u8))}  payload-1.raw\n");
        keys[signer].SignDetachedWithKeyBlock(world["server/SHA256SUMS"]);

        // The oracle's /etc/systemd and vendor keyring (an empty file stands for an absent one: a bind
        // needs a file to cover), and ours under the root.
        Directory.CreateDirectory(world["etc-systemd"]);
        Place(keys, localPgp, world["etc-systemd/import-pubring.pgp"], Path.Combine(root, "etc/systemd/import-pubring.pgp"));
        Place(keys, localGpg, world["etc-systemd/import-pubring.gpg"], Path.Combine(root, "etc/systemd/import-pubring.gpg"));
        File.WriteAllBytes(world["vendor.pgp"], []);
        Place(keys, vendor, world["vendor.pgp"], Path.Combine(root, "usr/lib/systemd/import-pubring.pgp"));
        var env = new Dictionary<string, string?> { [SysupdateOracle.VersionVariable] = "262" };
        if (environment != "-")
        {
            File.WriteAllBytes(world["env.pgp"], keys[environment].PublicKeyring);
            env["SYSTEMD_OPENPGP_KEYRING"] = world["env.pgp"];
        }

        var (theirs, ours) = await RunBothAsync(oracle, world, root, env);

        Assert.Equal(accepted, theirs.ExitCode == 0);
        Assert.Equal(accepted, ours.ExitCode == 0);
        if (accepted)
        {
            Assert.Equal("1\n", theirs.Stdout);
            Assert.Equal("1\n", ours.Stdout);
        }
    }

    /// <summary>
    /// TEST-72's sub key case: the keyring holds only the primary key; the manifest is signed by a
    /// signing subkey added since, whose binding travels in the signature's key block
    /// (--include-key-block). 262's gpg (--auto-key-import with merge-only) merges that subkey into
    /// the known key and accepts; a key block whose primary key is not trusted adds nothing.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_subkey_embedded_in_the_signature_counts_only_for_a_trusted_primary_key(bool primaryTrusted)
    {
        var oracle = SysupdateOracle.ForTest(output, SysupdateOracle.Followed);
        if (oracle is null)
        {
            return;
        }

        using var keys = new Keys();
        using var world = new TempDirectory("image-update-keyring-diff-");
        var root = world["root"];
        Directory.CreateDirectory(Path.Combine(root, "etc/sysupdate.d"));
        Directory.CreateDirectory(Path.Combine(root, "target"));
        Directory.CreateDirectory(world["server"]);
        File.WriteAllText(Path.Combine(root, "etc/sysupdate.d/01-payload.transfer"), Transfer.Replace("@W@", world.Path, StringComparison.Ordinal) + "\n");
        File.WriteAllText(world["server/payload-1.raw"], "payload");
        File.WriteAllText(world["server/SHA256SUMS"], $"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("payload"u8))}  payload-1.raw\n");
        Directory.CreateDirectory(world["etc-systemd"]);
        File.WriteAllBytes(world["vendor.pgp"], []);
        Place(keys, primaryTrusted ? "A" : "B", world["etc-systemd/import-pubring.pgp"], Path.Combine(root, "etc/systemd/import-pubring.pgp"));
        keys["A"].AddSubkey("ed25519", "sign");
        keys["A"].KeepOnlySubkeySecrets();
        keys["A"].SignDetachedWithKeyBlock(world["server/SHA256SUMS"]);

        var (theirs, ours) = await RunBothAsync(oracle, world, root, new Dictionary<string, string?> { [SysupdateOracle.VersionVariable] = "262" });

        Assert.Equal(primaryTrusted, theirs.ExitCode == 0);
        Assert.Equal(primaryTrusted, ours.ExitCode == 0);
    }

    private async Task<(RunResult Theirs, RunResult Ours)> RunBothAsync(SysupdateOracle oracle, TempDirectory world, string root, Dictionary<string, string?> env)
    {
        const string Script = """
            set -e
            mount --bind "$1" "$2/etc/systemd"
            mount --bind "$3" "$2/usr/lib/systemd/import-pubring.pgp"
            shift 3
            exec "$@"
            """;
        var theirs = await TestProcess.RunAsync(
            "unshare",
            ["--mount", "--propagation", "private", "--", "bash", "-c", Script, "keyrings", world["etc-systemd"], oracle.Root, world["vendor.pgp"], oracle.RunScript, world.Path, "--root=" + root, "check-new"],
            env);
        var ours = await ImageUpdateProcess.RunAsync(new Dictionary<string, string?> { ["SYSTEMD_OPENPGP_KEYRING"] = env.GetValueOrDefault("SYSTEMD_OPENPGP_KEYRING") }, "--root=" + root, "check-new");
        output.WriteLine($"262: {theirs}\nours: {ours}");
        return (theirs, ours);
    }

    private static void Place(Keys keys, string key, string oracleFile, string ourFile)
    {
        if (key == "-")
        {
            return;
        }

        File.WriteAllBytes(oracleFile, keys[key].PublicKeyring);
        Directory.CreateDirectory(Path.GetDirectoryName(ourFile)!);
        File.WriteAllBytes(ourFile, keys[key].PublicKeyring);
    }

    private sealed class Keys : IDisposable
    {
        private readonly Dictionary<string, SigningKey> _keys = [];

        public SigningKey this[string name] => _keys.TryGetValue(name, out var key) ? key : _keys[name] = new SigningKey(userId: $"Key {name} <{name.ToLowerInvariant()}@example.org>");

        public void Dispose()
        {
            foreach (var key in _keys.Values)
            {
                key.Dispose();
            }
        }
    }
}
