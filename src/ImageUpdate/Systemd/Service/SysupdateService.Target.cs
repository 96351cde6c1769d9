using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Planning;
using ImageUpdate.Platform.DBus;
using ImageUpdate.Systemd.Reporting;
using ImageUpdate.Update.Engine;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Systemd.Service;

/// <summary>
/// org.freedesktop.sysupdate1.Target: the methods sysupdated's target vtable has, with its argument
/// checks and flags, each on the engine instead of a spawned systemd-sysupdate.
/// </summary>
public sealed partial class SysupdateService
{
    private DBusObject CreateTargetObject(SysupdateTarget target)
    {
        var iface = new DBusInterface(SysupdateBus.TargetInterface)
            .AddProperty(new DBusProperty("Class", "s", PropertyAccess.Read, () => target.ClassName))
            .AddProperty(new DBusProperty("Name", "s", PropertyAccess.Read, () => target.Name))
            .AddProperty(new DBusProperty("Path", "s", PropertyAccess.Read, () => target.Path))
            .AddMethod(new DBusMethod("List", "t", "as", Guard(c => ListAsync(target, c)), ["flags"], ["versions"]))
            .AddMethod(new DBusMethod("Describe", "st", "s", Guard(c => DescribeAsync(target, c)), ["version", "flags"], ["json"]))
            .AddMethod(new DBusMethod("CheckNew", DBusSignature.Empty, "s", Guard(_ => CheckNewAsync(target)), OutNames: ["new_version"]))
            .AddMethod(new DBusMethod("Update", "st", "sto", Guard(c => UpdateAsync(target, c)), ["new_version", "flags"], ["new_version", "job_id", "job_path"]))
            .AddMethod(new DBusMethod("Vacuum", DBusSignature.Empty, "uu", Guard(c => VacuumAsync(target, c)), OutNames: ["instances", "disabled_transfers"]))
            .AddMethod(new DBusMethod("GetAppStream", DBusSignature.Empty, "as", Guard(_ => GetAppStreamAsync(target)), OutNames: ["appstream"]))
            .AddMethod(new DBusMethod("GetVersion", DBusSignature.Empty, "s", Guard(_ => GetVersionAsync(target)), OutNames: ["version"]))
            .AddMethod(new DBusMethod("ListFeatures", "t", "as", Guard(c => ListFeaturesAsync(target, c)), ["flags"], ["features"]))
            .AddMethod(new DBusMethod("DescribeFeature", "st", "s", Guard(c => DescribeFeatureAsync(target, c)), ["feature", "flags"], ["json"]))
            .AddMethod(new DBusMethod("SetFeatureEnabled", "sit", DBusSignature.Empty, Guard(c => SetFeatureEnabledAsync(target, c)), ["feature", "enabled", "flags"]));
        return new DBusObject(target.ObjectPath).AddInterface(iface);
    }

    private static bool ReadOfflineFlag(ulong flags) => (flags & ~SysupdateBus.OfflineFlag) == 0
        ? (flags & SysupdateBus.OfflineFlag) != 0
        : throw new DBusErrorException(SysupdateBus.InvalidArgs, $"Unknown flags 0x{flags:x}: only 0x1 (offline) is defined.");

    private static void RequireNoFlags(ulong flags)
    {
        if (flags != 0)
        {
            throw new DBusErrorException(SysupdateBus.InvalidArgs, $"The flags argument must be 0, not 0x{flags:x}.");
        }
    }

    private async Task<DBusReply> ListAsync(SysupdateTarget target, DBusMethodContext context)
    {
        var offline = ReadOfflineFlag((ulong)context.Body[0]);
        var list = await RunJobAsync(target, JobType.List, offline, async job =>
        {
            using var engine = CreateEngine(target, offline);
            return await engine.ListAsync(job.Token).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return DBusReply.Return("as", [list.Plan.Sets.Select(s => s.Version).ToArray()]);
    }

    private async Task<DBusReply> DescribeAsync(SysupdateTarget target, DBusMethodContext context)
    {
        var version = (string)context.Body[0];
        var offline = ReadOfflineFlag((ulong)context.Body[1]);
        if (version.Length == 0)
        {
            throw new DBusErrorException(SysupdateBus.InvalidArgs, "Describe needs a version.");
        }

        var details = await RunJobAsync(target, JobType.Describe, offline, async job =>
        {
            using var engine = CreateEngine(target, offline);
            return await engine.DescribeAsync(version, job.Token).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return DBusReply.Return("s", [SysupdateJson.DescribeVersion(details)]);
    }

    private async Task<DBusReply> CheckNewAsync(SysupdateTarget target)
    {
        var candidate = await RunJobAsync(target, JobType.CheckNew, offline: false, async job =>
        {
            using var engine = CreateEngine(target, offline: false);
            return await engine.CheckNewAsync(job.Token).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return DBusReply.Return("s", [candidate ?? ""]);
    }

    private async Task<DBusReply> GetVersionAsync(SysupdateTarget target)
    {
        using var engine = CreateEngine(target, offline: true);
        var list = await engine.ListAsync(_stop.Token).ConfigureAwait(false);
        return DBusReply.Return("s", [list.Current?.Version ?? ""]);
    }

    private async Task<DBusReply> GetAppStreamAsync(SysupdateTarget target)
    {
        using var engine = CreateEngine(target, offline: true);
        var list = await engine.ListAsync(_stop.Token).ConfigureAwait(false);
        return DBusReply.Return("as", [list.AppStreamUrls.ToArray()]);
    }

    private Task<DBusReply> ListFeaturesAsync(SysupdateTarget target, DBusMethodContext context)
    {
        RequireNoFlags((ulong)context.Body[0]);
        using var engine = CreateEngine(target, offline: true);
        return Task.FromResult(DBusReply.Return("as", [engine.Features().Select(f => f.Name).ToArray()]));
    }

    private async Task<DBusReply> DescribeFeatureAsync(SysupdateTarget target, DBusMethodContext context)
    {
        var name = (string)context.Body[0];
        if (name.Length == 0)
        {
            throw new DBusErrorException(SysupdateBus.InvalidArgs, "DescribeFeature needs a feature name.");
        }

        RequireNoFlags((ulong)context.Body[1]);
        var feature = await RunJobAsync(target, JobType.DescribeFeature, offline: true, _ =>
        {
            using var engine = CreateEngine(target, offline: true);
            return Task.FromResult(engine.Features().FirstOrDefault(f => f.Name == name));
        }).ConfigureAwait(false);
        return feature is null
            ? throw new DBusErrorException(SysupdateBus.Failed, $"Optional feature not found: {UntrustedText.Escape(name)}")
            : DBusReply.Return("s", [SysupdateJson.DescribeFeature(feature)]);
    }

    /// <summary>
    /// Writes (enabled 1 or 0) or removes (enabled &lt; 0, sysupdated's "reset") the
    /// 50-systemd-sysupdate-enabled.conf drop-in. sysupdated also writes one for a feature the
    /// definitions do not have; the engine refuses those, so this does too.
    /// </summary>
    private async Task<DBusReply> SetFeatureEnabledAsync(SysupdateTarget target, DBusMethodContext context)
    {
        if (target.Class != TargetClass.Host)
        {
            throw new DBusErrorException(SysupdateBus.NotSupported, "Features can only be managed on the host target.");
        }

        var name = (string)context.Body[0];
        var enabled = (int)context.Body[1];
        if (name.EndsWith(".feature", StringComparison.Ordinal))
        {
            name = name[..^".feature".Length];
        }

        if (!DefinitionLoader.FeatureNameIsValid(name))
        {
            throw new DBusErrorException(SysupdateBus.InvalidArgs, $"Feature name '{UntrustedText.Escape(name)}' is not valid.");
        }

        RequireNoFlags((ulong)context.Body[2]);
        await RequireRootAsync(context, "enable or disable features").ConfigureAwait(false);

        // Switching a feature changes what an update installs: not while one runs on the target.
        ClaimOrBusy(target);
        try
        {
            if (target.Options.DefinitionsDirectory is not null)
            {
                throw new DBusErrorException(SysupdateBus.NotSupported, "Features cannot be switched while serving --definitions.");
            }

            if (enabled >= 0)
            {
                using var engine = CreateEngine(target, offline: true);
                engine.SetFeatureEnabled(name, enabled > 0);
                return DBusReply.Empty;
            }

            var dropIn = Path.Combine(target.Options.Root, "etc", "sysupdate.d", $"{name}.feature.d", FeatureSwitch.DropInName);
            using (UpdateLock.Take(target.Options))
            {
                if (!File.Exists(dropIn))
                {
                    throw new DBusErrorException(SysupdateBus.FileNotFound, $"Feature '{name}' has no drop-in to reset ('{dropIn}').");
                }

                File.Delete(dropIn);
            }
        }
        finally
        {
            target.Release();
        }

        _logger.LogInformation("Feature '{Name}' reset to its definitions.", name);
        return DBusReply.Empty;
    }

    private async Task<DBusReply> VacuumAsync(SysupdateTarget target, DBusMethodContext context)
    {
        await RequireRootAsync(context, "vacuum").ConfigureAwait(false);
        ClaimOrBusy(target);
        try
        {
            var result = await RunJobAsync(target, JobType.Vacuum, offline: true, async job =>
            {
                using var engine = CreateEngine(target, offline: true);
                return await engine.VacuumAsync(job.Token).ConfigureAwait(false);
            }).ConfigureAwait(false);
            return DBusReply.Return("uu", [(uint)result.Removed, (uint)result.DisabledTransfers]);
        }
        finally
        {
            target.Release();
        }
    }

    private static void ClaimOrBusy(SysupdateTarget target)
    {
        if (!target.TryClaim())
        {
            throw new DBusErrorException(SysupdateBus.Busy, $"Target {target.Id} is busy: an update or vacuum is running on it, or its features are being switched.");
        }
    }

    /// <summary>
    /// Update: checks and picks the version while the caller waits (sysupdated waits for its worker's
    /// READY=1), answers with the version, job id and path, and installs in the background; the
    /// Manager's JobRemoved tells how it ended. Nothing to install is NoCandidate, as in sysupdated.
    /// </summary>
    private async Task<DBusReply> UpdateAsync(SysupdateTarget target, DBusMethodContext context)
    {
        var requested = (string)context.Body[0];
        RequireNoFlags((ulong)context.Body[1]);
        await RequireRootAsync(context, "update").ConfigureAwait(false);
        ClaimOrBusy(target);
        SysupdateJob? job = null;
        try
        {
            job = StartJob(target, JobType.Update, offline: false);
            string version;
            using (var engine = CreateEngine(target, offline: false))
            {
                version = PickVersion((await engine.ListAsync(job.Token).ConfigureAwait(false)).Plan, requested);
            }

            var started = job;
            lock (_jobs)
            {
                _work.RemoveAll(t => t.IsCompleted);
                _work.Add(Task.Run(() => RunUpdateAsync(started, version)));
            }

            job = null;
            return DBusReply.Return("sto", [version, started.Id, started.Path]);
        }
        finally
        {
            if (job is not null)
            {
                EndJob(job);
                target.Release();
            }
        }
    }

    private static string PickVersion(UpdatePlan plan, string requested)
    {
        if (requested.Length == 0)
        {
            return plan.Candidate?.Version
                ?? throw new DBusErrorException(SysupdateBus.NoCandidate, "No update candidate: the newest version is installed.");
        }

        var set = plan.Find(requested)
            ?? throw new DBusErrorException(SysupdateBus.Failed, $"Update '{UntrustedText.Escape(requested)}' not found.");
        if (set.Has(UpdateSetFlags.Installed) && (set.Flags & (UpdateSetFlags.Partial | UpdateSetFlags.Pending | UpdateSetFlags.Incomplete)) == 0)
        {
            throw new DBusErrorException(SysupdateBus.NoCandidate, $"Version '{UntrustedText.Escape(requested)}' is already installed.");
        }

        return set.Version;
    }

    /// <summary>The background half of Update; JobRemoved's status is 0, the CLI's exit code, or -ECANCELED.</summary>
    private async Task RunUpdateAsync(SysupdateJob job, string version)
    {
        // The method's reply is sent when the handler returns; let it leave before anything of the job does.
        await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None).ConfigureAwait(false);
        int status;
        try
        {
            using var engine = CreateEngine(job.Target, offline: false, job);
            var result = await engine.UpdateAsync(version, UpdateActions.All, job.Token).ConfigureAwait(false);
            _logger.LogInformation("Job {Id}: {Outcome} '{Version}'.", job.Id, result.Outcome, result.Version);
            status = 0;
        }
        catch (OperationCanceledException) when (job.Token.IsCancellationRequested)
        {
            _logger.LogInformation("Job {Id} cancelled.", job.Id);
            status = SysupdateBus.CanceledStatus;
        }
        catch (ImageUpdateException e)
        {
            _logger.LogError("Job {Id} failed: {Message}", job.Id, e.Message);
            status = e.ExitCode;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogError(e, "Job {Id} failed", job.Id);
            status = 1;
        }

        // As sysupdated: the target is free before JobRemoved, so a client may update again at once.
        job.Target.Release();
        try
        {
            await _connection.EmitSignalAsync(SysupdateBus.ManagerPath, SysupdateBus.ManagerInterface, "JobRemoved", "toi", [job.Id, job.Path, status]).ConfigureAwait(false);
        }
        catch (DBusException e)
        {
            _logger.LogWarning("Cannot announce the end of job {Id}: {Message}", job.Id, e.Message);
        }

        EndJob(job);
    }
}
