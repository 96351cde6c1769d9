using ImageUpdate.Definitions;
using ImageUpdate.Host;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Engine;

/// <summary>The engine's one door to the definitions loader and the host's os-release.</summary>
internal static class HostFacts
{
    public static DefinitionLoadOptions LoadOptions(EngineOptions options, ILogger logger) => new()
    {
        DefinitionsDirectory = options.DefinitionsDirectory,
        Root = options.Root,
        Component = options.Component,
        TransferSource = options.TransferSource,
        Logger = logger,

        // Stricter than systemd: an unusable value stops the run instead of being dropped.
        WarningsAreErrors = true,
    };

    public static DefinitionSet LoadDefinitions(EngineOptions options, ILogger logger) =>
        DefinitionLoader.Load(LoadOptions(options, logger));

    public static string? ImageVersion(string root) => OsRelease.Read(root)?["IMAGE_VERSION"];

    public static void SetFeatureEnabled(EngineOptions options, string name, bool enable, ILogger logger)
    {
        var load = LoadOptions(options, logger);
        FeatureSwitch.SetEnabled(load, DefinitionLoader.Load(load), [name], enable);
    }

    public static (bool HasDefault, IReadOnlyList<string> Names) ListComponents(EngineOptions options)
    {
        var listing = DefinitionLoader.ListComponents(options.Root);
        return (listing.HasDefault, listing.Components);
    }
}
