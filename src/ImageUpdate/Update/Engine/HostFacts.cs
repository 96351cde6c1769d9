using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Host;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Engine;

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

        // %T and %V see $TMPDIR, $TEMP and $TMP as the program read them.
        Specifiers = new SpecifierContext(
            () => HostIdentity.Detect(options.Root, options.Environment.TemporaryDirectories),
            () => OsRelease.Read(options.Root),
            rootGiven: !SpecifierContext.IsHostRoot(options.Root)),

        // Stricter than systemd: an unusable value stops the run instead of being dropped.
        WarningsAreErrors = true,
    };

    public static DefinitionSet LoadDefinitions(EngineOptions options, ILogger logger) =>
        DefinitionLoader.Load(LoadOptions(options, logger));

    public static string? ImageVersion(string root) => OsRelease.Read(root)?["IMAGE_VERSION"];

    /// <summary>
    /// The trusted keys: --keyring, else $SYSTEMD_OPENPGP_KEYRING, else the overlay of the local and
    /// the vendor import-pubring under the root (<see cref="Formats.Verification.KeyringLocator"/>).
    /// </summary>
    public static Formats.Verification.Keyring LoadKeyring(EngineOptions options, ILogger logger)
    {
        var paths = Formats.Verification.KeyringLocator.FindAll(options.Keyring, options.Environment.Get(Formats.Verification.KeyringLocator.EnvironmentVariable), options.Root);
        if (paths.Count == 0)
        {
            throw new Foundation.Errors.UpdateException($"No trusted keyring: none of {string.Join(", ", Formats.Verification.KeyringLocator.DefaultPaths)} exists{(options.IsRooted ? $" under {options.Root}" : "")}; give one with --keyring.");
        }

        var keyring = Formats.Verification.Keyring.Overlay([.. paths.Select(Formats.Verification.Keyring.Load)]);
        foreach (var warning in keyring.Warnings)
        {
            logger.LogWarning("{Warning}", warning);
        }

        return keyring;
    }

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
