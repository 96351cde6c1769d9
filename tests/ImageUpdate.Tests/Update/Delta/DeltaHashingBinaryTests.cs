using ImageUpdate.Foundation.Hashing;
using ImageUpdate.Tests.Formats.Casync;
using ImageUpdate.Tests.Formats.Verification.Signing;
using ImageUpdate.Tests.Platform.Transport;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Engine;

namespace ImageUpdate.Tests.Update.Delta;

/// <summary>
/// The published NativeAOT program checks chunk IDs eight at a time with AVX-512 on a CPU that has it
/// (AVX-512 is not a run-time check in NativeAOT's managed code, so the binary links C code for it),
/// and one at a time through OpenSSL when that path is turned off, as on a CPU without AVX-512; both
/// rebuild v2 byte for byte.
/// </summary>
public sealed class DeltaHashingBinaryTests(SigningKeys keys) : IClassFixture<SigningKeys>
{
    private const int ImageBytes = 16 << 20;

    [Fact]
    public async Task The_published_program_hashes_chunks_with_AVX_512_where_the_CPU_has_it()
    {
        var result = await UpdateToV2Async(environment: null);

        var expected = ChunkIdComputeManyTests.CpuHasAvx512 ? "eight at a time with AVX-512" : "one at a time with OpenSSL";
        Assert.Contains($"Chunk IDs are checked {expected}", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_published_program_falls_back_to_OpenSSL_when_AVX_512_is_turned_off()
    {
        var result = await UpdateToV2Async(new Dictionary<string, string?> { [MultiBufferSha512t256.DisableVariable] = "1" });

        Assert.Contains("Chunk IDs are checked one at a time with OpenSSL", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>v1 installed (in process), then `image-update --verbose update 2` run as a program; v2 must be in its slot.</summary>
    private async Task<RunResult> UpdateToV2Async(Dictionary<string, string?>? environment)
    {
        TestEnvironment.RequireRoot("partition slots in a disk image");
        using var scenario = new DeltaScenario(keys.Ed25519, ImageBytes);
        await using var server = await TestHttpServer.StartAsync(scenario.ServeAsync);
        scenario.Define(server.BaseAddress.ToString());
        using (var engine = scenario.Engine(new CollectingLogger()))
        {
            await engine.UpdateAsync("1", UpdateActions.All, CancellationToken.None);
        }

        var result = await ImageUpdateProcess.RunAsync(
            environment,
            "--definitions", scenario.Definitions,
            "--keyring", Path.Combine(scenario.Server, "keyring.gpg"),
            "--verbose",
            "update",
            "2");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Rebuilding os_2.raw from its index", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(scenario.V2, scenario.Installed("2", ImageBytes));
        return result;
    }
}
