using System.CommandLine;
using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Update.Engine;

namespace ImageUpdate.Cli.Commands;

/// <summary>The options every verb takes, as systemd-sysupdate spells them.</summary>
public sealed class GlobalOptions(HostEnvironment environment)
{
    public Option<string?> Definitions { get; } = new("--definitions") { Description = "Read transfer definitions from this directory only", HelpName = "DIR", Recursive = true };

    public Option<string?> Root { get; } = new("--root") { Description = "Operate on an alternate file system root", HelpName = "PATH", Recursive = true };

    public Option<string?> Image { get; } = new("--image") { Description = "Operate on a disk image file: its partitions and its ESP/XBOOTLDR", HelpName = "FILE", Recursive = true };

    public Option<string?> Component { get; } = new("--component", "-C") { Description = "Select the component to update", HelpName = "NAME", Recursive = true };

    public Option<bool> ComponentAll { get; } = new("--component-all", "-A") { Description = "Select all components", Recursive = true };

    public Option<bool> ComponentSuggested { get; } = new("--component-suggested", "-S") { Description = "Select all suggested components", Recursive = true };

    public Option<bool> FeatureAll { get; } = new("--feature-all", "-a") { Description = "Select all features", Recursive = true };

    public Option<bool> FeatureSuggested { get; } = new("--feature-suggested", "-s") { Description = "Select all suggested features", Recursive = true };

    public Option<string?> TransferSource { get; } = new("--transfer-source") { Description = "Directory for sources with PathRelativeTo=explicit", HelpName = "PATH", Recursive = true };

    public Option<string?> InstancesMax { get; } = new("--instances-max", "-m") { Description = "How many instances to keep per transfer", HelpName = "INT", Recursive = true };

    public Option<string?> Sync { get; } = new("--sync") { Description = "Sync the file systems after writing (default yes)", HelpName = "BOOL", Recursive = true };

    public Option<string?> Verify { get; } = new("--verify") { Description = "Force signature verification on or off", HelpName = "BOOL", Recursive = true };

    public Option<string?> Keyring { get; } = new("--keyring") { Description = "The trusted OpenPGP keys (default: /etc/systemd/import-pubring.pgp, ...)", HelpName = "FILE", Recursive = true };

    public Option<string[]> VerityCertificate { get; } = new("--verity-cert") { Description = "Also trust this PEM certificate for verity root hash signatures (beside verity.d)", HelpName = "FILE", Recursive = true, AllowMultipleArgumentsPerToken = false };

    public Option<string?> Cleanup { get; } = new("--cleanup") { Description = "After update or acquire, remove files no current transfer owns (default no)", HelpName = "BOOL", Recursive = true };

    public Option<bool> Offline { get; } = new("--offline") { Description = "Do not look at the update sources", Recursive = true };

    public Option<bool> Reboot { get; } = new("--reboot") { Description = "Reboot after updating to a newer version", Recursive = true };

    public Option<string?> Json { get; } = new("--json") { Description = "Output as JSON: pretty, short or off", HelpName = "MODE", Recursive = true };

    public Option<bool> NoPager { get; } = new("--no-pager") { Description = "Do not pipe output into a pager (image-update never pages)", Recursive = true };

    public Option<bool> NoLegend { get; } = new("--no-legend") { Description = "Do not show table headers and footers", Recursive = true };

    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Log debug messages and show stack traces", Recursive = true };

    /// <summary>update and acquire only (not in <see cref="All"/>): more seeds for payloads rebuilt from a chunk index.</summary>
    public Option<string[]> Seed { get; } = new("--seed") { Description = "Reuse matching chunks of this file or block device when rebuilding from a chunk index (repeatable)", HelpName = "PATH" };

    public IEnumerable<Option> All =>
        [Definitions, Root, Image, Component, ComponentAll, ComponentSuggested, FeatureAll, FeatureSuggested, TransferSource, InstancesMax, Sync, Verify, Keyring, VerityCertificate, Cleanup, Offline, Reboot, Json, NoPager, NoLegend, Verbose];

    /// <summary>
    /// -A/-S as 262 allows them: -A on the verbs that take several components (<paramref name="allowAll"/>),
    /// -S on enable-/disable-component only (<paramref name="allowSuggested"/>); refused elsewhere in 262's words.
    /// </summary>
    public Update.Engine.Selection ComponentSelection(ParseResult result, string verb, bool allowAll, bool allowSuggested)
    {
        var all = result.GetValue(ComponentAll);
        var suggested = result.GetValue(ComponentSuggested);
        if ((all && !allowAll) || (suggested && !allowAll && !allowSuggested))
        {
            throw new UsageException($"--component-all/--component-suggested currently not supported for '{verb}'.");
        }

        if (suggested && !allowSuggested)
        {
            // 262's two wordings: the feature verbs say "is not", the update verbs "currently not".
            throw new UsageException(verb.EndsWith("-feature", StringComparison.Ordinal)
                ? $"--component-suggested is not supported for '{verb}'."
                : $"--component-suggested currently not supported for '{verb}'.");
        }

        return suggested ? Update.Engine.Selection.Suggested : all ? Update.Engine.Selection.All : Update.Engine.Selection.Explicit;
    }

    /// <summary>-a/-s: only enable-feature and disable-feature take them (262).</summary>
    public Update.Engine.Selection FeatureSelection(ParseResult result, string verb, bool allowed)
    {
        var all = result.GetValue(FeatureAll);
        var suggested = result.GetValue(FeatureSuggested);
        if ((all || suggested) && !allowed)
        {
            throw new UsageException($"--feature-all/--feature-suggested is not supported for '{verb}'.");
        }

        return suggested ? Update.Engine.Selection.Suggested : all ? Update.Engine.Selection.All : Update.Engine.Selection.Explicit;
    }

    /// <summary>The engine settings these options give, after sysupdate's combination rules.</summary>
    public EngineOptions ToEngineOptions(ParseResult result)
    {
        var definitions = result.GetValue(Definitions);
        var root = result.GetValue(Root);
        var component = result.GetValue(Component);
        if (definitions is not null && (root is not null || component is not null))
        {
            throw new UsageException("The --definitions= switch may not be combined with --root= or --component=.");
        }

        var image = result.GetValue(Image);
        if (image is not null && root is not null)
        {
            throw new UsageException("The --root= and --image= switches may not be combined.");
        }

        if (image is not null && result.GetValue(Reboot))
        {
            throw new UsageException("The --reboot switch may not be combined with --image=: the image is not what is running.");
        }

        if (component is not null && !IsValidComponentName(component))
        {
            throw new UsageException($"Component name invalid: {UntrustedText.Escape(component)}");
        }

        if (result.GetValue(Reboot) && (root is not null || component is not null))
        {
            throw new UsageException("The --reboot switch may not be combined with --root= or --component=.");
        }

        return new EngineOptions
        {
            DefinitionsDirectory = definitions is null ? null : Path.GetFullPath(definitions),
            Root = root is null ? "/" : Path.GetFullPath(root),
            Image = image is null ? null : Path.GetFullPath(image),
            Component = component,
            TransferSource = result.GetValue(TransferSource) is { } source ? Path.GetFullPath(source) : null,
            InstancesMax = ParseInstancesMax(result.GetValue(InstancesMax)),
            Sync = ParseBoolean(result.GetValue(Sync), "--sync") ?? true,
            Verify = ParseBoolean(result.GetValue(Verify), "--verify"),
            Keyring = result.GetValue(Keyring) is { } keyring ? Path.GetFullPath(keyring) : null,
            VerityCertificates = FullPaths(result, VerityCertificate),
            Cleanup = ParseBoolean(result.GetValue(Cleanup), "--cleanup"),
            Offline = result.GetValue(Offline),
            Reboot = result.GetValue(Reboot),
            Seeds = FullPaths(result, Seed),
            Environment = environment,
        };
    }

    public Output.JsonMode JsonMode(ParseResult result) => result.GetValue(Json) switch
    {
        null or "off" => Output.JsonMode.Off,
        "short" => Output.JsonMode.Short,
        "pretty" => Output.JsonMode.Pretty,
        var other => throw new UsageException($"Unknown argument to --json=: {UntrustedText.Escape(other)} (expected pretty, short or off)."),
    };

    /// <summary>
    /// A repeatable path option's values made absolute; none when it is not given. Its value is asked
    /// for only when given: System.CommandLine makes the empty default of a string[] through reflection
    /// (Array.CreateInstance of the element type), which loads type metadata at run time and was about 2%
    /// of a `list`'s CPU time. (A <c>DefaultValueFactory</c> would instead make every parse add an implicit
    /// result for the option, which validation and the help then see.) <see cref="Seed"/> is not on every
    /// verb: there it is never given.
    /// </summary>
    private static string[] FullPaths(ParseResult result, Option<string[]> option) =>
        result.GetResult(option) is null ? [] : [.. (result.GetValue(option) ?? []).Select(Path.GetFullPath)];

    private static int? ParseInstancesMax(string? value) =>
        value is null ? null
        : int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var max) ? max
        : throw new UsageException($"Failed to parse --instances-max= parameter: {UntrustedText.Escape(value)}");

    /// <summary>systemd's parse_boolean (<see cref="SystemdBoolean"/>); null when the option is not given.</summary>
    public static bool? ParseBoolean(string? value, string option) =>
        value is null ? null
        : SystemdBoolean.TryParse(value, out var parsed) ? parsed
        : throw new UsageException($"Failed to parse {option}= argument: {UntrustedText.Escape(value)}");

    private static bool IsValidComponentName(string name) =>
        name.Length is > 0 and <= 255 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && name[0] != '.';
}
