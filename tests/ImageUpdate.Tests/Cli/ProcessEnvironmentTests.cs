using ImageUpdate.Cli;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Engine;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// The program's environment is read a variable at a time (getenv) and enumerated only when asked:
/// it must give what a snapshot of the whole environment gives, and an empty value still counts as unset.
/// </summary>
public sealed class ProcessEnvironmentTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void It_looks_up_and_enumerates_what_a_snapshot_of_the_environment_holds()
    {
        var snapshot = HostEnvironment.From(Environment.GetEnvironmentVariables()).Variables;
        var process = new ProcessEnvironment();

        Assert.Equal(snapshot.OrderBy(v => v.Key, StringComparer.Ordinal), process.OrderBy(v => v.Key, StringComparer.Ordinal));
        Assert.Equal(snapshot.Count, process.Count);
        foreach (var (name, value) in snapshot)
        {
            Assert.True(process.TryGetValue(name, out var read), name);
            Assert.Equal(value, read);
            Assert.Equal(value, process[name]);
        }

        const string Unset = "IMAGE_UPDATE_TEST_NEVER_SET";
        Assert.False(process.ContainsKey(Unset));
        Assert.Throws<KeyNotFoundException>(() => process[Unset]);
    }

    [Theory]
    [InlineData("TMPDIR")]
    [InlineData("TEMP")]
    public async Task The_native_program_reads_a_variable_it_is_started_with_and_skips_an_empty_one(string variable)
    {
        // %T is the first of $TMPDIR, $TEMP, $TMP that is set: an empty TMPDIR= is passed over.
        var temporary = Directory.CreateDirectory(_dir["tmp"]).FullName;
        Directory.CreateDirectory(_dir["tmp/source"]);
        Directory.CreateDirectory(_dir["target"]);
        Directory.CreateDirectory(_dir["defs"]);
        File.WriteAllText(_dir["tmp/source/app_7.bin"], "seven");
        File.WriteAllText(_dir["defs/app.transfer"], $"""
            [Source]
            Type=regular-file
            Path=%T/source
            MatchPattern=app_@v.bin

            [Target]
            Type=regular-file
            Path={_dir["target"]}
            MatchPattern=app_@v.bin
            """);

        string[] environment = variable == "TMPDIR" ? [$"TMPDIR={temporary}"] : ["TMPDIR=", $"TEMP={temporary}"];
        var list = await TestProcess.RunAsync("/usr/bin/env", ["-i", .. environment, ImageUpdateProcess.ProgramPath, "--definitions", _dir["defs"], "list"]);

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("candidate", list.Stdout, StringComparison.Ordinal);
    }
}
