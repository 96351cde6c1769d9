using System.CommandLine;

namespace ImageUpdate.Cli.Commands;

public sealed partial class CommandLineApp
{
    private static void AddBootVerbs(RootCommand root)
    {
        _ = root;
    }
}
