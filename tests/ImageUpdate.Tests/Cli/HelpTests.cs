using System.Runtime.CompilerServices;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// The help text is part of the interface: `image-update --help` and a few verbs' help are compared
/// byte for byte with the files in Help/ beside this test. After a deliberate change, regenerate them
/// with IMAGE_UPDATE_WRITE_GOLDEN=1 (the test then writes the files and fails once, to be looked at).
/// </summary>
public sealed class HelpTests
{
    public static TheoryData<string, string[]> Commands => new()
    {
        { "image-update.txt", ["--help"] },
        { "update.txt", ["update", "--help"] },
        { "build-image.txt", ["build-image", "--help"] },
        { "bless.txt", ["bless", "--help"] },
        { "publish.txt", ["publish", "--help"] },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Help_output_is_exactly_the_golden_text(string golden, string[] arguments)
    {
        var run = await ImageUpdateProcess.RunAsync(new Dictionary<string, string?> { ["COLUMNS"] = null }, arguments);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Stderr);

        var path = Path.Combine(SourceDirectory(), "Help", golden);
        if (Environment.GetEnvironmentVariable("IMAGE_UPDATE_WRITE_GOLDEN") == "1")
        {
            File.WriteAllText(path, run.Stdout);
            Assert.Fail($"wrote {path}: check it and run again without IMAGE_UPDATE_WRITE_GOLDEN");
        }

        Assert.True(File.Exists(path), $"{path} is missing: run with IMAGE_UPDATE_WRITE_GOLDEN=1 to write it");
        Assert.Equal(File.ReadAllText(path), run.Stdout);
    }

    [Fact]
    public async Task Short_and_long_help_options_print_the_same()
    {
        var longForm = await ImageUpdateProcess.RunAsync(null, "--help");
        var shortForm = await ImageUpdateProcess.RunAsync(null, "-h");

        Assert.Equal(longForm.Stdout, shortForm.Stdout);
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
