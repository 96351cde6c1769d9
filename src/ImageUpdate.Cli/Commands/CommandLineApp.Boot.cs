using System.CommandLine;
using System.Globalization;
using ImageUpdate.Cli.Output;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Systemd.BootCounting;
using ImageUpdate.Systemd.Health;
using ImageUpdate.Systemd.Reporting;

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

    private void AddBootVerbs(Command root)
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
        var health = new HealthCheckOptions(healthDirs.Select(Path.GetFullPath).ToList(), ParseSeconds(healthTimeout) ?? ExecutableHealthCheck.DefaultTimeout, unitCheck)
        {
            SystemBus = _environment.SystemBus,
            SystemdRunningOverride = _environment.SystemdRunningOverride,
        };
        var request = new BlessRequest(
            action switch
            {
                "status" => BlessAction.Status,
                "good" => BlessAction.Good,
                "bad" => BlessAction.Bad,
                "indeterminate" => BlessAction.Indeterminate,
                _ => BlessAction.Assess,
            },
            BootLocation(r),
            health,
            r.GetValue(_global.Reboot));
        var result = await CreateBootAssessment(r).BlessAsync(
            request,
            blessed =>
            {
                if (request.Action == BlessAction.Status)
                {
                    WriteBootStatus(blessed.Entry, json);
                }
                else
                {
                    WriteVerdict(blessed.Entry, json);
                }
            },
            cancellationToken).ConfigureAwait(false);
        return result.FoundUnhealthy ? 1 : 0;
    }

    private async Task<int> RollbackAsync(ParseResult r, CancellationToken cancellationToken)
    {
        var request = new RollbackRequest(_global.ToEngineOptions(r) with { Offline = true }, BootLocation(r));
        await CreateBootAssessment(r).RollbackAsync(
            request,
            done => _out.WriteLine($"Rolled back from {done.BootedVersion} to {done.TargetVersion}: it boots next."),
            cancellationToken).ConfigureAwait(false);
        return 0;
    }

    /// <summary>The boot assessment flows, rebooting (when asked to) after what they print is out.</summary>
    private BootAssessment CreateBootAssessment(ParseResult r)
    {
        var logger = CreateLogger(r);
        return new BootAssessment(logger, Services(logger));
    }

    private BootEntryLocation BootLocation(ParseResult r) =>
        new(Path.GetFullPath(r.GetValue(_efivars)!), r.GetValue(_espPath) is { } esp ? Path.GetFullPath(esp) : null, r.GetValue(_xbootldrPath) is { } xbootldr ? Path.GetFullPath(xbootldr) : null)
        {
            Overrides = _environment.BootPartitions,
        };

    private void WriteVerdict(BootEntry entry, JsonMode json)
    {
        if (json != JsonMode.Off)
        {
            WriteBootStatus(entry, json);
        }
        else
        {
            _out.WriteLine(StateWord(entry.State));
        }
    }

    private void WriteBootStatus(BootEntry entry, JsonMode json)
    {
        var current = entry.Current;
        if (json != JsonMode.Off)
        {
            JsonOutput.Write(_out, json, w => ImageUpdateJson.WriteBootStatus(w, entry));
            return;
        }

        _out.WriteLine($"     Entry: {UntrustedText.Escape(entry.CurrentPath)}");
        _out.WriteLine($" Booted as: {UntrustedText.Escape(entry.Booted.FileName)}");
        _out.WriteLine($"Tries left: {current.TriesLeft?.ToString(CultureInfo.InvariantCulture) ?? "-"}");
        _out.WriteLine($"Tries done: {current.TriesDone?.ToString(CultureInfo.InvariantCulture) ?? "-"}");
        _out.WriteLine($"     State: {StateWord(entry.State)}");
    }

    private static string StateWord(BootEntryState state) => BootAssessment.StateWord(state);

    private static TimeSpan? ParseSeconds(string? value) =>
        value is null ? null
        : double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= int.MaxValue / 1000
            ? TimeSpan.FromSeconds(seconds)
            : throw new UsageException($"Failed to parse --health-timeout= argument: {UntrustedText.Escape(value)} (expected seconds, more than 0).");
}
