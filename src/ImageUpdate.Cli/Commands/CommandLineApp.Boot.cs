using System.CommandLine;
using System.Globalization;
using ImageUpdate.BootCounting;
using ImageUpdate.Cli.Output;
using ImageUpdate.Engine;
using ImageUpdate.Errors;
using ImageUpdate.Health;
using ImageUpdate.Processes;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Cli.Commands;

/// <summary>
/// `bless` and `rollback`: the verdict on this boot, recorded in the booted entry's boot counter
/// (systemd.io/AUTOMATIC_BOOT_ASSESSMENT), as systemd-bless-boot records it, plus health checks.
/// </summary>
public sealed partial class CommandLineApp
{
    private readonly Option<string> _efivars = new("--efivars") { Description = "Read the boot loader's EFI variables from this directory", HelpName = "DIR", DefaultValueFactory = _ => EfiVariables.DefaultDirectory };

    private readonly Option<string?> _espPath = new("--esp-path") { Description = "The ESP (default: found as bootctl finds it)", HelpName = "DIR" };

    private readonly Option<string?> _xbootldrPath = new("--xbootldr-path") { Description = "The XBOOTLDR partition (default: found as bootctl finds it)", HelpName = "DIR" };

    private void AddBootVerbs(RootCommand root)
    {
        var action = new Argument<string?>("ACTION") { Arity = ArgumentArity.ZeroOrOne, Description = "good, bad, indeterminate or status; without it: run the health checks, then mark good or bad" };
        action.Validators.Add(result =>
        {
            // One line, like every other error (System.CommandLine's own list spans several).
            if (result.Tokens is [{ Value: var word }] && word is not ("good" or "bad" or "indeterminate" or "status"))
            {
                result.AddError($"Unknown bless action '{UntrustedText.Escape(word)}' (expected good, bad, indeterminate or status).");
            }
        });
        var healthDirs = new Option<string[]>("--health-dir") { Description = "Run the health checks in this directory instead of /etc/image-update/health.d and /usr/lib/image-update/health.d (repeatable; earlier ones mask later ones)", HelpName = "DIR" };
        var healthTimeout = new Option<string?>("--health-timeout") { Description = "Seconds each health check may run (default 60)", HelpName = "SECONDS" };
        var noUnitCheck = new Option<bool>("--no-unit-check") { Description = "Do not count failed systemd units against this boot (for a unit known to fail and not to matter)" };
        var bless = new Command("bless", "Mark this boot good or bad in its boot counter, after health checks") { action, _efivars, _espPath, _xbootldrPath, healthDirs, healthTimeout, noUnitCheck };
        bless.SetAction((r, ct) => BlessAsync(r, r.GetValue(action), r.GetValue(healthDirs) ?? [], r.GetValue(healthTimeout), !r.GetValue(noUnitCheck), ct));
        root.Subcommands.Add(bless);

        var rollback = new Command("rollback", "Go back to the newest older installed version known good: mark this boot's entry bad") { _efivars, _espPath, _xbootldrPath };
        rollback.SetAction((r, ct) => RollbackAsync(r, ct));
        root.Subcommands.Add(rollback);
    }

    private async Task<int> BlessAsync(ParseResult r, string? action, string[] healthDirs, string? healthTimeout, bool unitCheck, CancellationToken cancellationToken)
    {
        var json = _global.JsonMode(r);
        var timeout = ParseSeconds(healthTimeout) ?? ExecutableHealthCheck.DefaultTimeout;
        var logger = CreateLogger(r);
        var entry = LocateBootEntry(r);
        var blesser = new BootBlesser(logger);
        switch (action)
        {
            case "status":
                WriteBootStatus(entry, json);
                return 0;
            case "good":
                return Finish(blesser.MarkGood(entry).After, json, 0);
            case "bad":
                return Finish(blesser.MarkBad(entry).After, json, 0);
            case "indeterminate":
                return Finish(blesser.MarkIndeterminate(entry).After, json, 0);
        }

        // Only a boot that is still being assessed gets a verdict: an entry without a counter is good
        // already, and a verdict given earlier in this boot stands (running bless twice is harmless).
        if (entry.State is BootEntryState.Clean or BootEntryState.Good or BootEntryState.Bad)
        {
            logger.LogInformation("'{Entry}' is {State} already: nothing to assess.", UntrustedText.Escape(entry.CurrentPath), StateWord(entry.State));
            return Finish(entry, json, 0);
        }

        var report = await HealthChecker.RunAsync(HealthChecks(healthDirs, timeout, unitCheck, logger), logger, cancellationToken).ConfigureAwait(false);
        if (report.Healthy)
        {
            return Finish(blesser.MarkGood(entry).After, json, 0);
        }

        var marked = blesser.MarkBad(entry).After;
        var code = Finish(marked, json, 1);

        // An entry booted on its last try was bad already; if nothing else is bootable the boot
        // loader would start it again, and rebooting would only loop.
        if (r.GetValue(_global.Reboot) && !BootBlesser.HasAnotherBootableEntry(marked))
        {
            logger.LogWarning("Not rebooting: no other entry in '{Directory}' would boot.", UntrustedText.Escape(marked.Directory));
        }
        else if (r.GetValue(_global.Reboot))
        {
            logger.LogWarning("This boot was marked bad; rebooting into another entry.");
            _out.Flush();
            _err.Flush();
            Boot.Rebooter.Reboot(logger);
        }

        return code;
    }

    /// <summary>
    /// Every check `bless` runs: "no failed units" (asked of the systemd manager over D-Bus, unless
    /// --no-unit-check), then the executables of the health.d directories.
    /// </summary>
    private static List<IHealthCheck> HealthChecks(string[] healthDirs, TimeSpan timeout, bool unitCheck, ILogger logger)
    {
        var directories = healthDirs.Length > 0 ? healthDirs.Select(Path.GetFullPath).ToList() : HealthCheckDirectories.Default;
        List<IHealthCheck> checks = unitCheck ? [new FailedUnitsHealthCheck { Timeout = timeout }] : [];
        checks.AddRange(HealthCheckDirectories.Discover(directories, timeout, new ProcessRunner(), logger));
        return checks;
    }

    private async Task<int> RollbackAsync(ParseResult r, CancellationToken cancellationToken)
    {
        var logger = CreateLogger(r);
        var options = _global.ToEngineOptions(r) with { Offline = true };
        var booted = UpdateEngine.BootedVersion(options)
            ?? throw new UpdateException($"{(options.IsRooted ? Path.Join(options.Root, "etc/os-release") : "/etc/os-release")} lacks IMAGE_VERSION field: cannot tell which version is booted.");
        Planning.UpdatePlan plan;
        using (var engine = new UpdateEngine(options, logger))
        {
            plan = (await engine.ListAsync(cancellationToken).ConfigureAwait(false)).Plan;
        }

        var target = RollbackPlanner.ChooseTarget(plan, booted);

        var entry = LocateBootEntry(r);
        new BootBlesser(logger).MarkBad(entry);
        _out.WriteLine($"Rolled back from {booted} to {target.Version}: it boots next.");
        if (r.GetValue(_global.Reboot))
        {
            _out.Flush();
            Boot.Rebooter.Reboot(logger);
        }

        return 0;
    }

    private BootEntry LocateBootEntry(ParseResult r)
    {
        var esp = r.GetValue(_espPath);
        var xbootldr = r.GetValue(_xbootldrPath);
        IReadOnlyList<string> roots = esp is null && xbootldr is null
            ? BootEntryLocator.DefaultRoots()
            : new[] { esp, xbootldr }.OfType<string>().Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).ToList();
        return BootEntryLocator.Locate(new EfiVariables(Path.GetFullPath(r.GetValue(_efivars)!)), roots);
    }

    private int Finish(BootEntry entry, JsonMode json, int code)
    {
        if (json != JsonMode.Off)
        {
            WriteBootStatus(entry, json);
        }
        else
        {
            _out.WriteLine(StateWord(entry.State));
        }

        return code;
    }

    private void WriteBootStatus(BootEntry entry, JsonMode json)
    {
        var current = entry.Current;
        if (json != JsonMode.Off)
        {
            JsonOutput.Write(_out, json, w =>
            {
                w.WriteStartObject();
                w.WriteString("entry", entry.CurrentPath);
                w.WriteString("booted", entry.Booted.FileName);
                WriteCounter(w, "triesLeft", current.TriesLeft);
                WriteCounter(w, "triesDone", current.TriesDone);
                w.WriteString("state", StateWord(entry.State));
                w.WriteEndObject();
            });
            return;
        }

        _out.WriteLine($"     Entry: {UntrustedText.Escape(entry.CurrentPath)}");
        _out.WriteLine($" Booted as: {UntrustedText.Escape(entry.Booted.FileName)}");
        _out.WriteLine($"Tries left: {current.TriesLeft?.ToString(CultureInfo.InvariantCulture) ?? "-"}");
        _out.WriteLine($"Tries done: {current.TriesDone?.ToString(CultureInfo.InvariantCulture) ?? "-"}");
        _out.WriteLine($"     State: {StateWord(entry.State)}");
    }

    private static void WriteCounter(System.Text.Json.Utf8JsonWriter w, string name, ulong? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static string StateWord(BootEntryState state) => state.ToString().ToLowerInvariant();

    private static TimeSpan? ParseSeconds(string? value) =>
        value is null ? null
        : double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= int.MaxValue / 1000
            ? TimeSpan.FromSeconds(seconds)
            : throw new UsageException($"Failed to parse --health-timeout= argument: {UntrustedText.Escape(value)} (expected seconds, more than 0).");
}
