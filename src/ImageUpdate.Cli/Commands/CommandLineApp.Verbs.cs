using System.CommandLine;
using ImageUpdate.Cli.Output;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Systemd.Notify;
using ImageUpdate.Systemd.Reporting;
using ImageUpdate.Update.Engine;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Cli.Commands;

public sealed partial class CommandLineApp
{
    private const string Description = "image-update: install A/B OS image updates, compatible with systemd-sysupdate.";

    /// <summary>
    /// The command tree. RootCommand's constructor adds --help and --version, whose descriptions it
    /// looks up through System.CommandLine's ResourceManager: creating that (assembly metadata,
    /// custom attributes, the resource reader) was about 4% of a `list`'s CPU time. When no argument
    /// can name either option, a directive or a response file (<see cref="NeedsStandardOptions"/>), a
    /// plain command of the same name stands in: those options then match nothing, so the parse is
    /// the same.
    /// </summary>
    internal Command Build(bool standardOptions)
    {
        var root = standardOptions ? new RootCommand(Description) : new Command(RootCommand.ExecutableName, Description);
        foreach (var option in _global.All)
        {
            root.Options.Add(option);
        }

        var version = new Argument<string?>("VERSION") { Arity = ArgumentArity.ZeroOrOne, Description = "A version to act on" };

        var list = new Command("list", "Show installed and available versions") { version };
        list.SetAction((r, ct) => ListAsync(r, r.GetValue(version), ct));
        root.Subcommands.Add(list);

        var checkNew = new Command("check-new", "Check if there is a new version available (exit 1 when not)");
        checkNew.SetAction(CheckNewAsync);
        root.Subcommands.Add(checkNew);

        var update = new Command("update", "Install a new version now (with --offline: install an acquired one)") { version, _global.Seed };
        update.SetAction((r, ct) => UpdateAsync(r, r.GetValue(version), r.GetValue(_global.Offline) ? UpdateActions.Install : UpdateActions.All, ct));
        root.Subcommands.Add(update);

        var acquire = new Command("acquire", "Download a new version now, to be installed by update --offline") { version, _global.Seed };
        acquire.SetAction((r, ct) => UpdateAsync(r, r.GetValue(version), UpdateActions.Acquire, ct));
        root.Subcommands.Add(acquire);

        var vacuum = new Command("vacuum", "Make room by deleting old versions");
        vacuum.SetAction(VacuumAsync);
        root.Subcommands.Add(vacuum);

        var cleanup = new Command("cleanup", "Remove installed files no current transfer owns (the installation database's orphans)");
        cleanup.SetAction(Cleanup);
        root.Subcommands.Add(cleanup);

        var pending = new Command("pending", "Check whether a newer version than the booted one is installed (exit 1 when not)");
        pending.SetAction((r, ct) => PendingAsync(r, reboot: false, ct));
        root.Subcommands.Add(pending);

        var reboot = new Command("reboot", "Reboot if a newer version than the booted one is installed");
        reboot.SetAction((r, ct) => PendingAsync(r, reboot: true, ct));
        root.Subcommands.Add(reboot);

        var feature = new Argument<string?>("FEATURE") { Arity = ArgumentArity.ZeroOrOne };
        var features = new Command("features", "Show optional features") { feature };
        features.SetAction(r => Features(r, r.GetValue(feature)));
        root.Subcommands.Add(features);

        var names = new Argument<string[]>("FEATURE") { Arity = ArgumentArity.ZeroOrMore };
        var enable = new Command("enable-feature", "Enable optional features") { names };
        enable.SetAction(r => SwitchFeatures(r, r.GetValue(names)!, enable: true));
        root.Subcommands.Add(enable);
        var disable = new Command("disable-feature", "Disable optional features") { names };
        disable.SetAction(r => SwitchFeatures(r, r.GetValue(names)!, enable: false));
        root.Subcommands.Add(disable);

        var components = new Command("components", "Show the components");
        components.SetAction(Components);
        root.Subcommands.Add(components);

        var componentNames = new Argument<string[]>("COMPONENT") { Arity = ArgumentArity.ZeroOrMore };
        var enableComponent = new Command("enable-component", "Enable components") { componentNames };
        enableComponent.SetAction(r => SwitchComponents(r, r.GetValue(componentNames)!, enable: true));
        root.Subcommands.Add(enableComponent);
        var disableComponent = new Command("disable-component", "Disable components") { componentNames };
        disableComponent.SetAction(r => SwitchComponents(r, r.GetValue(componentNames)!, enable: false));
        root.Subcommands.Add(disableComponent);

        var from = new Option<string>("--from") { Description = "The update server's URL (http, https or file)", HelpName = "URL", Required = true };
        var fetchInto = new Argument<string>("STAGING_DIR") { Description = "Where to stage the download" };
        var have = new Option<string?>("--have") { Description = "The version the host has installed: stage only the chunks its casync index lacks, where the server publishes indexes", HelpName = "VERSION" };
        var fetch = new Command("fetch", "Download the newest version into a staging directory (the untrusted side of a staged update)") { from, have, fetchInto };
        fetch.SetAction((r, ct) => FetchAsync(r, r.GetValue(from)!, r.GetValue(have), r.GetValue(fetchInto)!, ct));
        root.Subcommands.Add(fetch);

        var keys = new Command("keys", "Show the trusted signing keys");
        var keysList = new Command("list", "Show each trusted key's fingerprint, algorithm, user ID and expiry");
        keysList.SetAction(KeysList);
        keys.Subcommands.Add(keysList);
        root.Subcommands.Add(keys);

        // Verbs that live in their own partial files (one concept each).
        AddImageVerbs(root);
        AddBootVerbs(root);
        AddServiceVerbs(root);

        var staging = new Argument<string?>("STAGING_DIR")
        {
            Arity = ArgumentArity.ZeroOrOne,
            Description = "Install the update an untrusted downloader staged in this BTRFS subvolume (verified, from a read-only snapshot); without it: list",
        };
        root.Arguments.Add(staging);
        var fetchWith = new Option<string?>("--fetch-with") { Description = "With STAGING_DIR: first run this program with the staging path and wait for it (e.g. the command that starts the downloading VM)", HelpName = "PROGRAM" };
        root.Options.Add(fetchWith);
        root.SetAction((r, ct) => r.GetValue(staging) is { } directory ? StagedAsync(r, directory, r.GetValue(fetchWith), ct) : ListAsync(r, null, ct));
        return root;
    }

    /// <summary>
    /// Whether an argument could be, or contain, what only a RootCommand knows: --help and its
    /// aliases (-h, -?, /h, /?, also inside a bundle of short options such as -vh), --version, a
    /// directive ([suggest]) or a response file (@FILE). Errs towards true: the RootCommand is always right.
    /// </summary>
    internal static bool NeedsStandardOptions(IReadOnlyList<string> args)
    {
        foreach (var arg in args)
        {
            if (arg.StartsWith('@') || arg.StartsWith('[')
                || arg.StartsWith("--help", StringComparison.Ordinal) || arg.StartsWith("--version", StringComparison.Ordinal)
                || (arg.Length >= 2 && arg[0] == '/' && arg[1] is 'h' or '?' && (arg.Length == 2 || arg[2] is ':' or '='))
                || (arg.StartsWith('-') && !arg.StartsWith("--", StringComparison.Ordinal) && arg.AsSpan().IndexOfAny('h', '?') >= 0))
            {
                return true;
            }
        }

        return false;
    }

    private UpdateEngine Engine(ParseResult r, bool quiet = false)
    {
        // update --json prints what making room removed, as 257 does, on stdout.
        var logger = CreateLogger(r, quiet);
        return new(_global.ToEngineOptions(r), logger, UpdateObserver(r, logger), Services(logger));
    }

    /// <summary>Progress to the console (bar or JSON events) and, under a service manager, to $NOTIFY_SOCKET as sysupdate sends it.</summary>
    private IUpdateObserver UpdateObserver(ParseResult r, ILogger logger)
    {
        var json = _global.JsonMode(r);
        var console = NewConsoleProgress(json);
        var notifier = SystemdNotifier.For(_environment.NotifySocket, logger);
        return notifier.IsEnabled ? new CompositeUpdateObserver(console, new ServiceManagerProgress(notifier)) : console;
    }

    private async Task<int> ListAsync(ParseResult r, string? version, CancellationToken cancellationToken)
    {
        RefuseSelections(r, "list");
        var json = _global.JsonMode(r);
        var legend = !r.GetValue(_global.NoLegend);
        using var engine = Engine(r, quiet: true);
        if (version is not null)
        {
            ListFormatter.WriteVersion(_out, await engine.DescribeAsync(version, cancellationToken).ConfigureAwait(false), json, legend);
            return 0;
        }

        ListFormatter.WriteList(_out, await engine.ListAsync(cancellationToken).ConfigureAwait(false), json, legend);
        return 0;
    }

    private async Task<int> CheckNewAsync(ParseResult r, CancellationToken cancellationToken)
    {
        RefuseSelections(r, "check-new");
        var json = _global.JsonMode(r);
        using var engine = Engine(r, quiet: true);
        var candidate = await engine.CheckNewAsync(cancellationToken).ConfigureAwait(false);
        if (json == JsonMode.Off)
        {
            if (candidate is not null)
            {
                _out.WriteLine(candidate);
            }
        }
        else
        {
            JsonOutput.Write(_out, json, w => SysupdateJson.WriteCheckNew(w, candidate));
        }

        // As 262: nothing new exits 1 with --json too, after printing {"available":null} (257 exited 0 there).
        return candidate is null ? 1 : 0;
    }

    private async Task<int> UpdateAsync(ParseResult r, string? version, UpdateActions actions, CancellationToken cancellationToken)
    {
        var verb = actions == UpdateActions.Acquire ? "acquire" : "update";
        var selection = _global.ComponentSelection(r, verb, allowAll: true, allowSuggested: false);
        _global.FeatureSelection(r, verb, allowed: false);
        if (selection == Selection.All)
        {
            return await UpdateAllAsync(r, version, actions, cancellationToken).ConfigureAwait(false);
        }

        using var engine = Engine(r);
        engine.EnsureComponentEnabled();
        await engine.UpdateAsync(version, actions, cancellationToken).ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// update/acquire -A as 262 runs them: the default set (none is only noted), then each component
    /// in name order; a disabled component is noted and skipped; a failing one is reported and the
    /// rest still run, and the verb then fails.
    /// </summary>
    private async Task<int> UpdateAllAsync(ParseResult r, string? version, UpdateActions actions, CancellationToken cancellationToken)
    {
        var options = _global.ToEngineOptions(r);
        var logger = CreateLogger(r);
        if (options.DefinitionsDirectory is not null)
        {
            throw new UsageException("The --definitions= and --component=/--component-all/--component-suggested switches may not be combined.");
        }

        IReadOnlyList<string> names;
        bool hasDefault;
        using (var lister = new UpdateEngine(options, logger, UpdateObserver(r, logger), Services(logger)))
        {
            (hasDefault, names) = lister.Components();
        }

        var failed = false;
        foreach (var component in new string?[] { null }.Concat(names))
        {
            using var engine = new UpdateEngine(options with { Component = component }, logger, UpdateObserver(r, logger), Services(logger));
            try
            {
                if (component is null && !hasDefault)
                {
                    throw new UpdateException("No transfer definitions found.");
                }

                engine.EnsureComponentEnabled();
                await engine.UpdateAsync(version, actions, cancellationToken).ConfigureAwait(false);
            }
            catch (UpdateException e) when (component is null && e.Message == "No transfer definitions found.")
            {
                logger.LogInformation("{Message}", e.Message);
            }
            catch (UpdateException e) when (e.Message == "Component is disabled.")
            {
                logger.LogInformation("{Message}", e.Message);
            }
            catch (ImageUpdateException e)
            {
                logger.LogError("{Message}", e.Message);
                failed = true;
            }
        }

        return failed ? 1 : 0;
    }

    private async Task<int> VacuumAsync(ParseResult r, CancellationToken cancellationToken)
    {
        RefuseSelections(r, "vacuum");
        var json = _global.JsonMode(r);
        using var engine = Engine(r);
        var result = await engine.VacuumAsync(cancellationToken).ConfigureAwait(false);
        if (json != JsonMode.Off)
        {
            WriteVacuum(json, result);
        }

        return 0;
    }

    private int Cleanup(ParseResult r)
    {
        var selection = _global.ComponentSelection(r, "cleanup", allowAll: true, allowSuggested: false);
        _global.FeatureSelection(r, "cleanup", allowed: false);
        if (selection != Selection.All)
        {
            using var engine = Engine(r);
            engine.Cleanup();
            return 0;
        }

        // -A (262): the default set, then every component that has definitions or an installation
        // database, so the files of a component whose transfers are all gone are cleaned up too.
        var options = _global.ToEngineOptions(r);
        if (options.DefinitionsDirectory is not null)
        {
            throw new UsageException("The --definitions= and --component=/--component-all/--component-suggested switches may not be combined.");
        }

        var logger = CreateLogger(r);
        IEnumerable<string> names;
        using (var lister = new UpdateEngine(options, logger, IUpdateObserver.None, Services(logger)))
        {
            names = lister.Components().Names.Union(lister.InstallDatabaseComponents(), StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        }

        // As update -A: a component that fails is reported, the rest still run, and the verb fails.
        var failed = false;
        foreach (var component in new string?[] { null }.Concat(names))
        {
            using var engine = new UpdateEngine(options with { Component = component }, logger, IUpdateObserver.None, Services(logger));
            try
            {
                engine.Cleanup();
            }
            catch (ImageUpdateException e) when (e is not UsageException)
            {
                logger.LogError("{Message}", e.Message);
                failed = true;
            }
        }

        return failed ? 1 : 0;
    }

    private void WriteVacuum(JsonMode json, VacuumResult result) => JsonOutput.Write(_out, json, w => SysupdateJson.WriteVacuum(w, result));

    private async Task<int> PendingAsync(ParseResult r, bool reboot, CancellationToken cancellationToken)
    {
        // pending/reboot compare against the booted OS's IMAGE_VERSION=, which no component has (262).
        if (r.GetValue(_global.Component) is not null || r.GetValue(_global.ComponentAll) || r.GetValue(_global.ComponentSuggested))
        {
            throw new UsageException(
                $"The --component=, --component-all and --component-suggested switches may not be combined with the '{(reboot ? "reboot" : "pending")}' operation, which only applies to the booted OS version.");
        }

        RefuseSelections(r, reboot ? "reboot" : "pending");
        using var engine = Engine(r);
        if (reboot)
        {
            await engine.RebootIfPendingAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }

        return (await engine.PendingAsync(cancellationToken).ConfigureAwait(false)).IsPending ? 0 : 1;
    }

    private int KeysList(ParseResult r)
    {
        using var engine = Engine(r, quiet: true);
        var (origin, keys) = engine.TrustedKeys();
        KeyFormatter.Write(_out, origin, keys, _global.JsonMode(r), !r.GetValue(_global.NoLegend));
        return 0;
    }

    private async Task<int> StagedAsync(ParseResult r, string directory, string? fetchWith, CancellationToken cancellationToken)
    {
        // A mistyped verb must not become a staging directory made in the current directory.
        if (!directory.Contains('/') && !Directory.Exists(directory))
        {
            throw new UsageException($"Unknown command verb '{UntrustedText.Escape(directory)}' (a staging directory is given as a path, such as ./{UntrustedText.Escape(directory)}).");
        }

        var logger = CreateLogger(r);
        var staged = new Update.Staging.StagedUpdate(_global.ToEngineOptions(r), logger, UpdateObserver(r, logger), Services(logger))
        {
            FetchWith = fetchWith is null ? null : Path.GetFullPath(fetchWith),
        };
        var result = await staged.RunAsync(directory, cancellationToken).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case Update.Staging.StagedOutcome.Installed:
                _out.WriteLine($"Installed {result.Version}; it takes effect at the next boot.");
                break;
            case Update.Staging.StagedOutcome.UpToDate:
                _out.WriteLine("Already up to date.");
                break;
            default:
                _out.WriteLine("Nothing staged yet.");
                break;
        }

        return 0;
    }

    private async Task<int> FetchAsync(ParseResult r, string url, string? have, string directory, CancellationToken cancellationToken)
    {
        var logger = CreateLogger(r);
        var fetch = new Update.Staging.StagingFetch(_global.ToEngineOptions(r), logger, Services(logger), NewConsoleProgress(_global.JsonMode(r))) { Have = have };
        var version = await fetch.RunAsync(url, directory, cancellationToken).ConfigureAwait(false);
        _out.WriteLine(version is null ? "Nothing to fetch." : $"Staged {version}.");
        return 0;
    }
}
