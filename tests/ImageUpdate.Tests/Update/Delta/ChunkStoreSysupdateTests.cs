using ImageUpdate.Tests.Formats.Verification.Signing;
using ImageUpdate.Tests.Oracle;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Update.Delta;

/// <summary>
/// What a device with only systemd-sysupdate sees on a server written by `publish --chunk-store`
/// (served by nginx), as README states it: 262 installs the whole <c>os_2.raw</c> and never asks for
/// the index or the store; 257 matches names by their start (systemd #38605, fixed in 262 by #41899),
/// takes <c>os_2.raw.caibx</c> for version 2 of <c>os_@v.raw</c>, and installs the index in place of
/// the image, its hash matching the manifest's line for it.
/// </summary>
public sealed class ChunkStoreSysupdateTests(SigningKeys keys, ITestOutputHelper output) : IClassFixture<SigningKeys>
{
    public static TheoryData<int> Versions => new(SysupdateOracle.Versions);

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Systemd_sysupdate_on_a_chunk_store_server(int version)
    {
        var oracle = SysupdateOracle.ForTest(output, version);
        if (oracle is null)
        {
            return;
        }

        using var scenario = new DeltaScenario(keys.Ed25519, 1 << 20);
        await using var nginx = await NginxServer.StartAsync(scenario.Server);
        var files = Directory.CreateDirectory(scenario["files"]).FullName;
        scenario.Define(nginx.BaseAddress.ToString().TrimEnd('/'), fileTarget: files);

        var result = await oracle.RunAsync(Path.GetDirectoryName(scenario.Server)!, null, "--definitions=" + scenario.Definitions, "--verify=no", "update", "2");
        output.WriteLine(result.ToString());

        Assert.Equal(0, result.ExitCode);
        var installed = File.ReadAllBytes(Path.Combine(files, "os_2.raw"));
        var asked = nginx.Entries().Select(e => e.Uri).ToList();
        if (oracle.Major >= 262)
        {
            Assert.Equal(scenario.V2, installed);
            Assert.DoesNotContain(asked, u => u.EndsWith(".caibx", StringComparison.Ordinal) || u.StartsWith("/default.castr/", StringComparison.Ordinal));
        }
        else
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(scenario.Server, "os_2.raw.caibx")), installed);
            Assert.Contains("/os_2.raw.caibx", asked);
        }
    }
}
