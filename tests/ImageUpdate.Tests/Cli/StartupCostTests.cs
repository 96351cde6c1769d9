using System.CommandLine;
using System.Reflection;
using System.Runtime.Loader;
using ImageUpdate.Cli.Commands;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// What `image-update list` does before it reads the definitions. RootCommand's --help and --version
/// look their descriptions up through System.CommandLine's ResourceManager, whose creation was about
/// 4% of a list's CPU; arguments that cannot name them are parsed against a plain command of the
/// same name instead, which must parse them exactly as the RootCommand does.
/// </summary>
public sealed class StartupCostTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string[]> PlainArguments => new()
    {
        Array.Empty<string>(),
        new[] { "list" },
        new[] { "--definitions", "/var/lib/defs", "list" },
        new[] { "--definitions=/var/lib/defs", "list", "5" },
        new[] { "--root", "/mnt", "-v", "--no-legend", "--json", "short", "list" },
        new[] { "-vA", "update" },
        new[] { "-vC", "foo", "update", "7", "--seed", "/a", "--seed", "/b" },
        new[] { "-m", "3", "--sync=no", "update", "--offline" },
        new[] { "acquire", "--verity-cert", "/x.pem", "--verity-cert", "/y.pem" },
        new[] { "--json" },
        new[] { "list", "1", "2" },
        new[] { "lst" },
        new[] { "--definitions" },
        new[] { "--no-such-option", "list" },
        new[] { "-x", "list" },
        new[] { "-vx" },
        new[] { "/var/tmp/staging", "--fetch-with", "/bin/true" },
        new[] { "fetch", "--from", "file:///srv", "/var/tmp/staging", "--have", "3" },
        new[] { "fetch", "/var/tmp/staging" },
        new[] { "keys", "list" },
        new[] { "keys" },
        new[] { "features", "a" },
        new[] { "enable-feature", "a", "b" },
        new[] { "bless" },
        new[] { "update", "--", "-x", "list" },
        new[] { "list", "-" },
        new[] { "/home/x" },
        new[] { "image-update", "list" },
        new[] { "--component", "", "list" },
    };

    [Theory]
    [MemberData(nameof(PlainArguments))]
    public void Plain_arguments_parse_the_same_without_the_root_commands_standard_options(string[] args)
    {
        Assert.False(CommandLineApp.NeedsStandardOptions(args));
        var app = new CommandLineApp(TextWriter.Null, TextWriter.Null);

        var standard = app.Build(standardOptions: true).Parse(args);
        var plain = app.Build(standardOptions: false).Parse(args);

        Assert.Equal(standard.ToString(), plain.ToString());
        Assert.Equal(standard.Errors.Select(e => e.Message), plain.Errors.Select(e => e.Message));
        Assert.Equal(standard.UnmatchedTokens, plain.UnmatchedTokens);
        Assert.Equal(standard.Tokens.Select(t => (t.Value, t.Type)), plain.Tokens.Select(t => (t.Value, t.Type)));
        Assert.Equal(standard.CommandResult.Command.Name, plain.CommandResult.Command.Name);
        Assert.Equal(standard.Action?.GetType(), plain.Action?.GetType());
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("-?")]
    [InlineData("/h")]
    [InlineData("/?")]
    [InlineData("/h:x")]
    [InlineData("-vh")]
    [InlineData("-A?")]
    [InlineData("--help=1")]
    [InlineData("--version")]
    [InlineData("@args.rsp")]
    [InlineData("[suggest]")]
    [InlineData("[suggest:3]")]
    public void Arguments_that_can_name_help_version_a_directive_or_a_response_file_get_the_root_command(string arg)
    {
        Assert.True(CommandLineApp.NeedsStandardOptions(["list", arg]));
        Assert.True(CommandLineApp.NeedsStandardOptions([arg]));
        Assert.IsType<RootCommand>(new CommandLineApp(TextWriter.Null, TextWriter.Null).Build(standardOptions: true));
    }

    [Fact]
    public async Task List_does_not_create_the_command_lines_resource_manager_and_help_does()
    {
        // Each run loads System.CommandLine and the program afresh, so the ResourceManager (a static
        // of System.CommandLine's resource class, created on first use) says what that run did.
        NativeBinaryTests.WriteOneTransfer(_dir);

        var (listCode, listOutput, listCreated) = await RunIsolatedAsync("--definitions", _dir["defs"], "list");
        Assert.True(listCode == 0, listOutput);
        Assert.Contains("candidate", listOutput, StringComparison.Ordinal);
        Assert.False(listCreated, "list created System.CommandLine's ResourceManager");

        var (helpCode, helpOutput, helpCreated) = await RunIsolatedAsync("--help");
        Assert.True(helpCode == 0, helpOutput);
        Assert.Contains("Show help and usage information", helpOutput, StringComparison.Ordinal);
        Assert.True(helpCreated, "--help did not create the ResourceManager: the probe no longer sees it");
    }

    /// <summary>Runs the program in-process with its own copies of image-update.dll and System.CommandLine.dll.</summary>
    private static async Task<(int Code, string Output, bool ResourceManagerCreated)> RunIsolatedAsync(params string[] args)
    {
        var context = new IsolatedCommandLine();
        try
        {
            var app = context.LoadFromAssemblyName(typeof(CommandLineApp).Assembly.GetName()).GetType(typeof(CommandLineApp).FullName!, throwOnError: true)!;
            var output = new StringWriter();
            var instance = Activator.CreateInstance(app, output, output, null)!;
            var run = (Task<int>)app.GetMethod(nameof(CommandLineApp.RunAsync))!.Invoke(instance, [args])!;
            var code = await run;

            var resources = context.LoadFromAssemblyName(typeof(Command).Assembly.GetName()).GetType("System.CommandLine.Properties.Resources", throwOnError: true)!;
            var field = resources.GetField("resourceMan", BindingFlags.NonPublic | BindingFlags.Static);
            Assert.True(field is not null, "System.CommandLine.Properties.Resources has no resourceMan field any more: update this probe");
            return (code, output.ToString(), field.GetValue(null) is not null);
        }
        finally
        {
            context.Unload();
        }
    }

    private sealed class IsolatedCommandLine() : AssemblyLoadContext(isCollectible: true)
    {
        protected override Assembly? Load(AssemblyName name) =>
            name.Name == typeof(CommandLineApp).Assembly.GetName().Name ? LoadFromAssemblyPath(typeof(CommandLineApp).Assembly.Location)
            : name.Name == typeof(Command).Assembly.GetName().Name ? LoadFromAssemblyPath(typeof(Command).Assembly.Location)
            : null;
    }
}
