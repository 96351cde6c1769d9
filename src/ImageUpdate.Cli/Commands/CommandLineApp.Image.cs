using System.CommandLine;

namespace ImageUpdate.Cli.Commands;

public sealed partial class CommandLineApp
{
    /// <summary>The verbs that make images and update servers: CommandLineApp.BuildImage.cs and .Publish.cs.</summary>
    private void AddImageVerbs(Command root)
    {
        AddBuildImageVerb(root);
        AddPublishVerb(root);
    }
}
