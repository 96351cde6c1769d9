using System.CommandLine;

namespace ImageUpdate.Cli.Commands;

public sealed partial class CommandLineApp
{
    private void AddImageVerbs(RootCommand root)
    {
        // publish: CommandLineApp.Publish.cs.
        AddPublishVerb(root);
    }
}
