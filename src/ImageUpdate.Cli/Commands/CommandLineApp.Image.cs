using System.CommandLine;

namespace ImageUpdate.Cli.Commands;

public sealed partial class CommandLineApp
{
    private void AddImageVerbs(RootCommand root)
    {
        AddBuildImageVerb(root);
    }
}
