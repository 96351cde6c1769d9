using System.Text.RegularExpressions;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Verity;

/// <summary>The reference implementation: <c>veritysetup</c> from cryptsetup-bin, run on plain files (no device-mapper needed for format and verify).</summary>
internal static partial class Veritysetup
{
    public const string Uuid = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f0";

    public static void Require() => TestEnvironment.RequireTools("apt-get install cryptsetup-bin", "veritysetup");

    /// <summary>Runs <c>veritysetup format</c> and returns the root hash it prints; <paramref name="salt"/> null lets it pick a random one.</summary>
    public static string Format(string data, string hash, int dataBlockSize, int hashBlockSize, string? salt)
    {
        List<string> arguments = ["format", data, hash, $"--data-block-size={dataBlockSize}", $"--hash-block-size={hashBlockSize}", $"--uuid={Uuid}"];
        if (salt is not null)
        {
            arguments.Add($"--salt={salt}");
        }

        var output = TestProcess.RunChecked("veritysetup", arguments);
        return RootHashLine().Match(output) is { Success: true } match
            ? match.Groups[1].Value
            : throw new InvalidOperationException($"veritysetup printed no root hash: {output}");
    }

    /// <summary>Runs <c>veritysetup verify</c>; true when it accepts the pair and root hash.</summary>
    public static RunResult Verify(string data, string hash, string rootHash) =>
        TestProcess.Run("veritysetup", ["verify", data, hash, rootHash]);

    [GeneratedRegex(@"Root hash:\s+([0-9a-f]{64})")]
    private static partial Regex RootHashLine();
}
