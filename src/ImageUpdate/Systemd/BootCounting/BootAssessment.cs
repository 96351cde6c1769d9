using ImageUpdate.Foundation.Errors;
using ImageUpdate.Systemd.Health;
using ImageUpdate.Update.Engine;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Systemd.BootCounting;

/// <summary>
/// `bless` and `rollback` as flows (systemd.io/AUTOMATIC_BOOT_ASSESSMENT): find the booted entry,
/// give this boot its verdict (health checks, or the verdict asked for) in the entry's boot counter
/// as systemd-bless-boot records it, and reboot into another entry when asked to.
/// <para>
/// The reboot comes in as <paramref name="services"/>' <see cref="EngineServices.Rebooter"/>, called from one place (<see cref="RebootAsync"/>);
/// each flow hands its result to a <c>report</c> callback as soon as the verdict is on disk and
/// before any reboot, so what the caller prints gets out even when the reboot does not return.
/// </para>
/// </summary>
/// <param name="discoverHealthChecks">Finds the checks an assessment runs; default <see cref="HealthCheckOptions.Discover"/>.</param>
public sealed class BootAssessment(
    ILogger logger,
    EngineServices services,
    Func<HealthCheckOptions, ILogger, IReadOnlyList<IHealthCheck>>? discoverHealthChecks = null)
{
    private readonly BootBlesser _blesser = new(logger);

    public async Task<BlessResult> BlessAsync(BlessRequest request, Action<BlessResult> report, CancellationToken cancellationToken)
    {
        var entry = request.Location.Locate();
        var result = request.Action switch
        {
            BlessAction.Status => new BlessResult(entry, null),
            BlessAction.Good => new BlessResult(_blesser.MarkGood(entry).After, null),
            BlessAction.Bad => new BlessResult(_blesser.MarkBad(entry).After, null),
            BlessAction.Indeterminate => new BlessResult(_blesser.MarkIndeterminate(entry).After, null),
            _ => await AssessAsync(entry, request.HealthChecks, cancellationToken).ConfigureAwait(false),
        };
        report(result);

        if (result.FoundUnhealthy && request.Reboot)
        {
            // An entry booted on its last try was bad already; if nothing else is bootable the boot
            // loader would start it again, and rebooting would only loop.
            if (!BootBlesser.HasAnotherBootableEntry(result.Entry))
            {
                logger.LogWarning("Not rebooting: no other entry in '{Directory}' would boot.", UntrustedText.Escape(result.Entry.Directory));
            }
            else
            {
                logger.LogWarning("This boot was marked bad; rebooting into another entry.");
                await RebootAsync().ConfigureAwait(false);
            }
        }

        return result;
    }

    /// <summary>
    /// Marks the booted entry bad so the boot loader starts the newest older installed version known
    /// good (<see cref="RollbackPlanner"/>), which must be on the disk and proven in a boot.
    /// </summary>
    public async Task<RollbackResult> RollbackAsync(RollbackRequest request, Action<RollbackResult> report, CancellationToken cancellationToken)
    {
        var options = request.Options;
        var booted = UpdateEngine.BootedVersion(options)
            ?? throw new UpdateException($"{(options.IsRooted ? Path.Join(options.Root, "etc/os-release") : "/etc/os-release")} lacks IMAGE_VERSION field: cannot tell which version is booted.");
        Model.Planning.UpdatePlan plan;
        using (var engine = new UpdateEngine(options, logger, services: services))
        {
            plan = (await engine.ListAsync(cancellationToken).ConfigureAwait(false)).Plan;
        }

        var target = RollbackPlanner.ChooseTarget(plan, booted);
        var marked = _blesser.MarkBad(request.Location.Locate()).After;
        var result = new RollbackResult(booted, target.Version, marked);
        report(result);
        if (options.Reboot)
        {
            await RebootAsync().ConfigureAwait(false);
        }

        return result;
    }

    private async Task<BlessResult> AssessAsync(BootEntry entry, HealthCheckOptions healthChecks, CancellationToken cancellationToken)
    {
        // Only a boot that is still being assessed gets a verdict: an entry without a counter is good
        // already, and a verdict given earlier in this boot stands (running bless twice is harmless).
        if (entry.State is BootEntryState.Clean or BootEntryState.Good or BootEntryState.Bad)
        {
            logger.LogInformation("'{Entry}' is {State} already: nothing to assess.", UntrustedText.Escape(entry.CurrentPath), StateWord(entry.State));
            return new BlessResult(entry, null);
        }

        var checks = (discoverHealthChecks ?? ((options, log) => options.Discover(log)))(healthChecks, logger);
        var health = await HealthChecker.RunAsync(checks, logger, cancellationToken).ConfigureAwait(false);
        var marked = health.Healthy ? _blesser.MarkGood(entry) : _blesser.MarkBad(entry);
        return new BlessResult(marked.After, health);
    }

    /// <summary>The one place these flows reboot.</summary>
    // The verdict is written and reported: the reboot asked for is not cancelled half-way by a SIGTERM.
    private Task RebootAsync() => services.Rebooter.RebootAsync(CancellationToken.None);

    /// <summary>A state as `bless` prints and logs it: clean, good, bad, indeterminate.</summary>
    public static string StateWord(BootEntryState state) => state.ToString().ToLowerInvariant();
}
