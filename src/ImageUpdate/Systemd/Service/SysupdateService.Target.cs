using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Planning;
using ImageUpdate.Platform.DBus;
using ImageUpdate.Systemd.Reporting;
using ImageUpdate.Update.Engine;
using Microsoft.Extensions.Logging;
using Tmds.DBus.Protocol;

namespace ImageUpdate.Systemd.Service;

/// <summary>
/// org.freedesktop.sysupdate1.Target: the methods sysupdated's target vtable has, with its argument
/// checks and flags, each on the engine instead of a spawned systemd-sysupdate.
/// </summary>
public sealed partial class SysupdateService
{
    private SysupdateObject CreateTargetObject(SysupdateTarget target) => new(
        target.ObjectPath,
        SysupdateBus.TargetInterface,
        SysupdateIntrospection.Target,
        [
            new("Class", (ref MessageWriter w) => w.WriteVariantString(target.ClassName)),
            new("Name", (ref MessageWriter w) => w.WriteVariantString(target.Name)),
            new("Path", (ref MessageWriter w) => w.WriteVariantString(target.Path)),
        ],
        new Dictionary<string, SysupdateMethod>(StringComparer.Ordinal)
        {
            ["List"] = new("t", Guard(c => ListAsync(target, c))),
            ["Describe"] = new("st", Guard(c => DescribeAsync(target, c))),
            ["CheckNew"] = new("", Guard(_ => CheckNewAsync(target))),
            ["Update"] = new("st", Guard(c => UpdateAsync(target, c))),
            ["Vacuum"] = new("", Guard(c => VacuumAsync(target, c))),
            ["GetAppStream"] = new("", Guard(_ => GetAppStreamAsync(target))),
            ["GetVersion"] = new("", Guard(_ => GetVersionAsync(target))),
            ["ListFeatures"] = new("t", Guard(c => ListFeaturesAsync(target, c))),
            ["DescribeFeature"] = new("st", Guard(c => DescribeFeatureAsync(target, c))),
            ["SetFeatureEnabled"] = new("sit", Guard(c => SetFeatureEnabledAsync(target, c))),
        });

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

    private async Task<MethodReply> ListAsync(SysupdateTarget target, MethodContext context)
    {
        var offline = ReadOfflineFlag(context.Request.GetBodyReader().ReadUInt64());
        var list = await RunJobAsync(target, JobType.List, offline, async job =>
        {
            using var engine = CreateEngine(target, offline);
            return await engine.ListAsync(job.Token).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return MethodReply.Strings([.. list.Plan.Sets.Select(s => s.Version)]);
    }

    private async Task<MethodReply> DescribeAsync(SysupdateTarget target, MethodContext context)
    {
        var reader = context.Request.GetBodyReader();
        var version = reader.ReadString();
        var offline = ReadOfflineFlag(reader.ReadUInt64());
        if (version.Length == 0)
        {
            throw new DBusErrorException(SysupdateBus.InvalidArgs, "Describe needs a version.");
        }

        var details = await RunJobAsync(target, JobType.Describe, offline, async job =>
        {
            using var engine = CreateEngine(target, offline);
            return await engine.DescribeAsync(version, job.Token).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return MethodReply.String(SysupdateJson.DescribeVersion(details));
    }

    private async Task<MethodReply> CheckNewAsync(SysupdateTarget target)
    {
        var candidate = await RunJobAsync(target, JobType.CheckNew, offline: false, async job =>
        {
            using var engine = CreateEngine(target, offline: false);
            return await engine.CheckNewAsync(job.Token).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return MethodReply.String(candidate ?? "");
    }

    private async Task<MethodReply> GetVersionAsync(SysupdateTarget target)
    {
        using var engine = CreateEngine(target, offline: true);
        var list = await engine.ListAsync(_stop.Token).ConfigureAwait(false);
        return MethodReply.String(list.Current?.Version ?? "");
    }

    private async Task<MethodReply> GetAppStreamAsync(SysupdateTarget target)
    {
        using var engine = CreateEngine(target, offline: true);
        var list = await engine.ListAsync(_stop.Token).ConfigureAwait(false);
        return MethodReply.Strings([.. list.AppStreamUrls]);
    }

    private Task<MethodReply> ListFeaturesAsync(SysupdateTarget target, MethodContext context)
    {
        RequireNoFlags(context.Request.GetBodyReader().ReadUInt64());
        using var engine = CreateEngine(target, offline: true);
        return Task.FromResult(MethodReply.Strings([.. engine.Features().Select(f => f.Name)]));
    }

    private async Task<MethodReply> DescribeFeatureAsync(SysupdateTarget target, MethodContext context)
    {
        var reader = context.Request.GetBodyReader();
        var name = reader.ReadString();
        var flags = reader.ReadUInt64();
        if (name.Length == 0)
        {
            throw new DBusErrorException(SysupdateBus.InvalidArgs, "DescribeFeature needs a feature name.");
        }

        RequireNoFlags(flags);
        var feature = await RunJobAsync(target, JobType.DescribeFeature, offline: true, _ =>
        {
            using var engine = CreateEngine(target, offline: true);
            return Task.FromResult(engine.Features().FirstOrDefault(f => f.Name == name));
        }).ConfigureAwait(false);
        return feature is null
            ? throw new DBusErrorException(SysupdateBus.Failed, $"Optional feature not found: {UntrustedText.Escape(name)}")
            : MethodReply.String(SysupdateJson.DescribeFeature(feature));
    }

    /// <summary>
    /// Writes (enabled 1 or 0) or removes (enabled &lt; 0, sysupdated's "reset") the
    /// 50-systemd-sysupdate-enabled.conf drop-in. sysupdated also writes one for a feature the
    /// definitions do not have; the engine refuses those, so this does too.
    /// </summary>
    private async Task<MethodReply> SetFeatureEnabledAsync(SysupdateTarget target, MethodContext context)
    {
        if (target.Class != TargetClass.Host)
        {
            throw new DBusErrorException(SysupdateBus.NotSupported, "Features can only be managed on the host target.");
        }

        var reader = context.Request.GetBodyReader();
        var name = reader.ReadString();
        var enabled = reader.ReadInt32();
        var flags = reader.ReadUInt64();
        if (name.EndsWith(".feature", StringComparison.Ordinal))
        {
            name = name[..^".feature".Length];
        }

        if (!DefinitionLoader.FeatureNameIsValid(name))
        {
            throw new DBusErrorException(SysupdateBus.InvalidArgs, $"Feature name '{UntrustedText.Escape(name)}' is not valid.");
        }

        RequireNoFlags(flags);
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
                return MethodReply.Empty;
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
        return MethodReply.Empty;
    }

    private async Task<MethodReply> VacuumAsync(SysupdateTarget target, MethodContext context)
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
            return new MethodReply("uu", (ref MessageWriter w) =>
            {
                w.WriteUInt32((uint)result.Removed);
                w.WriteUInt32((uint)result.DisabledTransfers);
            });
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
    private async Task<MethodReply> UpdateAsync(SysupdateTarget target, MethodContext context)
    {
        var reader = context.Request.GetBodyReader();
        var requested = reader.ReadString();
        RequireNoFlags(reader.ReadUInt64());
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
            return new MethodReply("sto", (ref MessageWriter w) =>
            {
                w.WriteString(version);
                w.WriteUInt64(started.Id);
                w.WriteObjectPath(started.Path);
            });
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
        var (id, path) = (job.Id, job.Path);
        if (!ExportedObject.EmitSignal(_connection.Connection, SysupdateBus.ManagerPath, SysupdateBus.ManagerInterface, "JobRemoved", "toi", (ref MessageWriter w) =>
        {
            w.WriteUInt64(id);
            w.WriteObjectPath(path);
            w.WriteInt32(status);
        }))
        {
            _logger.LogWarning("Cannot announce the end of job {Id}: the bus connection is gone.", job.Id);
        }

        EndJob(job);
    }
}
