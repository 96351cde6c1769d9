using System.Text;
using ImageUpdate.Formats.Verification;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Verification;

/// <summary>
/// Thousands of seeded mutations of real inputs: the parsers must end in success or in their own
/// typed error, never in another exception and never by allocating without bound. BouncyCastle reads
/// the packets and throws its own exceptions on garbage; <c>PgpPacketReader</c> turns those into a
/// <see cref="VerificationException"/> naming the packet. What the last-resort safety net catches
/// (its message carries the foreign exception's type name) counts as a failure: it means something
/// escaped both our checks and that boundary.
/// </summary>
[Collection(GpgCollection.Name)]
public sealed class VerificationFuzzTests(GpgFixture gpg)
{
    // Bytes one mutated input may make a parser allocate (the inputs are a few KiB).
    private const long Budget = 64L << 20;

    [Fact]
    public void Manifest_parsing_of_mutated_manifests_only_fails_with_ManifestException()
    {
        var manifest = Encoding.UTF8.GetBytes(
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  BEST-BEFORE-2030-01-01\n" +
            Encoding.UTF8.GetString(gpg.Data) +
            "0F343B0931126A20F133D67C2B018A3B5E7E5B5E2D3B4B2B8F9A39E43F1E4B7A *caf\u00e9-3.raw\n");
        var mutator = new Mutator(4);
        var outcomes = new int[2];

        Run(5000, () =>
        {
            var input = mutator.Mutate(manifest);
            try
            {
                var parsed = Sha256Manifest.Parse(input, "fuzz");
                parsed.CheckFreshness(DateTimeOffset.UnixEpoch, null);
                outcomes[0]++;
            }
            catch (ManifestException)
            {
                outcomes[1]++;
            }
        });

        // Both outcomes must occur, or the mutations test nothing.
        Assert.All(outcomes, n => Assert.True(n > 100, $"outcomes {outcomes[0]}/{outcomes[1]}"));
    }

    [Theory]
    [InlineData(nameof(GpgFixture.RsaSignature), 1)]
    [InlineData(nameof(GpgFixture.RsaArmoredSignature), 2)]
    [InlineData(nameof(GpgFixture.EdSignature), 3)]
    [InlineData(nameof(GpgFixture.EdArmoredSignature), 4)]
    [InlineData(nameof(GpgFixture.SubkeySignature), 5)]
    public void Verifying_mutated_signatures_only_fails_with_VerificationException(string name, int seed)
    {
        var signature = (byte[])typeof(GpgFixture).GetProperty(name)!.GetValue(gpg)!;
        var keyring = Keyring.Parse(gpg.Keyring, "fuzz.pgp");
        var verifier = new OpenPgpSignatureVerifier();
        var mutator = new Mutator(seed);
        var refused = 0;

        Run(1500, () =>
        {
            try
            {
                verifier.VerifyDetached(gpg.Data, mutator.Mutate(signature), keyring);
            }
            catch (VerificationException e) when (IsOwn(e))
            {
                refused++;
            }
        });

        Assert.True(refused > 1000, $"only {refused} mutations were refused");
    }

    [Theory]
    [InlineData(false, 6)]
    [InlineData(true, 7)]
    public void Loading_mutated_keyrings_only_fails_with_VerificationException(bool armored, int seed)
    {
        // The rsa, ed and sub keys: RSA and EdDSA primaries, a cv25519 and a signing subkey.
        byte[] keyring = armored
            ? gpg.Gpg("--export", "--armor", gpg.Fingerprint("ed"), gpg.Fingerprint("sub"), gpg.Fingerprint("rsa"))
            : gpg.Gpg("--export", gpg.Fingerprint("ed"), gpg.Fingerprint("sub"), gpg.Fingerprint("rsa"));
        var verifier = new OpenPgpSignatureVerifier();
        var mutator = new Mutator(seed);
        var loaded = 0;

        Run(armored ? 800 : 1500, () =>
        {
            try
            {
                var mutated = Keyring.Parse(mutator.Mutate(keyring), "fuzz.pgp");
                loaded++;
                verifier.VerifyDetached(gpg.Data, gpg.EdSignature, mutated);
                verifier.VerifyDetached(gpg.Data, gpg.SubkeySignature, mutated);
            }
            catch (VerificationException e) when (IsOwn(e))
            {
            }
        });

        // Most armored mutations fail the CRC-24, as they should; some must still get through to the packets.
        Assert.True(loaded > (armored ? 0 : 100), $"only {loaded} mutated keyrings loaded");
    }

    private static bool IsOwn(VerificationException e) =>
        e.InnerException is null || !e.Message.Contains(e.InnerException.GetType().Name + ":", StringComparison.Ordinal);

    private static void Run(int iterations, Action iteration)
    {
        var budget = new AllocationBudget(Budget);
        for (var i = 0; i < iterations; i++)
        {
            budget.Measure(iteration);
        }

        budget.AssertWithin();
    }
}
