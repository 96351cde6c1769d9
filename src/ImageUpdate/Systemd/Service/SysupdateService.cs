using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.DBus;
using ImageUpdate.Update.Engine;
using Microsoft.Extensions.Logging;
using Tmds.DBus.Protocol;

namespace ImageUpdate.Systemd.Service;

/// <summary>
/// `image-update serve`: org.freedesktop.sysupdate1 on a bus, as systemd-sysupdated publishes it
/// (sysupdate.md §5; man org.freedesktop.sysupdate1), so software centres that speak that interface
/// can offer image-update's updates. Where sysupdated spawns `systemd-sysupdate --json=short VERB`
/// per job, this calls the engine in-process; the answers have the same shapes.
/// <list type="bullet">
/// <item>Manager at /org/freedesktop/sysupdate1: ListTargets, ListJobs, ListAppStream, JobRemoved(t, o, i).</item>
/// <item>Targets at /org/freedesktop/sysupdate1/target/host (and target/component_3aNAME): see
/// SysupdateService.Target.cs.</item>
/// <item>Jobs at /org/freedesktop/sysupdate1/job/_ID while they run (<see cref="SysupdateJob"/>).</item>
/// </list>
/// sysupdated asks polkit; there is no polkit here, so every method that changes something (Update,
/// Vacuum, SetFeatureEnabled, Cancel) is for uid 0 only, as the bus reports the caller
/// (GetConnectionUnixUser); everyone may read. Like sysupdated it leaves the bus after an idle time
/// without jobs (bus activation starts it again), and when it loses its name or its bus.
/// </summary>
public sealed partial class SysupdateService
{
    private readonly BusConnection _connection;
    private readonly EngineOptions _options;
    private readonly EngineServices _services;
    private readonly ILogger _logger;
    private readonly TimeSpan _idleTimeout;
    private readonly Dictionary<ulong, SysupdateJob> _jobs = [];
    private readonly List<Task> _work = [];
    private readonly List<SysupdateTarget> _targets = [];
    private readonly CancellationTokenSource _stop = new();
    private ulong _lastJobId;
    private long _lastActivity = Environment.TickCount64;

    /// <param name="idleTimeout">Leave after this long without calls or jobs; <see cref="Timeout.InfiniteTimeSpan"/> or zero: never.</param>
    /// <param name="services">The engines' effects (the program's one record: a logind inhibitor while jobs write).</param>
    public SysupdateService(BusConnection connection, EngineOptions options, EngineServices services, ILogger logger, TimeSpan idleTimeout)
    {
        _connection = connection;
        _services = services;
        _options = options with { Offline = false, Reboot = false };
        _logger = logger;
        _idleTimeout = idleTimeout;
    }

    /// <summary>sysupdated's DEFAULT_EXIT_USEC: how long it stays without work.</summary>
    public static TimeSpan DefaultIdleTimeout { get; } = TimeSpan.FromSeconds(30);

    public IReadOnlyList<SysupdateTarget> Targets => _targets;

    /// <summary>
    /// Exports the objects, takes the name and serves until <paramref name="cancellationToken"/>
    /// (SIGTERM), the loss of the name or the bus, or the idle timeout; then cancels running jobs and
    /// waits for them to stop at a safe point. Throws <see cref="ServiceException"/> when the name is taken.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        EnumerateTargets();
        var nameLost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        IDisposable subscription;
        bool owner;
        try
        {
            _connection.Export([CreateManagerObject(), .. _targets.Select(CreateTargetObject)]);
            subscription = await _connection.Connection.AddMatchAsync(
                new MatchRule { Type = MessageType.Signal, Sender = "org.freedesktop.DBus", Interface = "org.freedesktop.DBus", Member = "NameLost", Arg0 = SysupdateBus.BusName },
                notification =>
                {
                    if (notification.Type == NotificationType.Value)
                    {
                        nameLost.TrySetResult();
                    }
                },
                emitOnCapturedContext: false).AsTask().WaitAsync(_connection.CallTimeout, cancellationToken).ConfigureAwait(false);
            owner = await _connection.Connection.TryRequestNameAsync(SysupdateBus.BusName, RequestNameOptions.None).WaitAsync(_connection.CallTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DBusExceptionBase or TimeoutException)
        {
            throw new ServiceException($"Cannot take the bus name {SysupdateBus.BusName}: {UntrustedText.Escape(e.Message)}", e);
        }

        using var unsubscribe = subscription;
        if (!owner)
        {
            throw new ServiceException($"The bus name {SysupdateBus.BusName} is owned by another program (systemd-sysupdated?).");
        }

        _logger.LogInformation("Serving {Name} with {Count} target(s): {Targets}.", SysupdateBus.BusName, _targets.Count, string.Join(", ", _targets.Select(t => t.Id)));
        try
        {
            await ServeUntilDoneAsync(nameLost.Task, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            Task[] running;
            lock (_jobs)
            {
                running = [.. _work.Where(t => !t.IsCompleted)];
            }

            if (running.Length > 0)
            {
                _logger.LogInformation("Waiting for {Count} job(s) to stop…", running.Length);
                await Task.WhenAll(running).ConfigureAwait(false);
            }
        }
    }

    private async Task ServeUntilDoneAsync(Task nameLost, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await Task.WhenAny(nameLost, Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            if (cancellationToken.IsCancellationRequested)
            {
                _logger.LogInformation("Stopping on request.");
                return;
            }

            if (nameLost.IsCompleted)
            {
                _logger.LogInformation("Lost the bus name {Name}; stopping.", SysupdateBus.BusName);
                return;
            }

            if (!_connection.IsConnected)
            {
                _logger.LogWarning("The bus connection closed; stopping.");
                return;
            }

            if (IsIdle())
            {
                // As sd-bus's idle loop does: give the name up first, so that a call racing with the
                // exit queues for the next activation instead of reaching a leaving process.
                _logger.LogInformation("Idle for {Seconds} s; leaving the bus.", _idleTimeout.TotalSeconds);
                try
                {
                    await _connection.Connection.ReleaseNameAsync(SysupdateBus.BusName).WaitAsync(_connection.CallTimeout, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is DBusExceptionBase or TimeoutException)
                {
                    _logger.LogWarning("Cannot release the bus name {Name}: {Message}", SysupdateBus.BusName, UntrustedText.Escape(e.Message));
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None).ConfigureAwait(false);
                return;
            }
        }
    }

    private bool IsIdle()
    {
        if (_idleTimeout <= TimeSpan.Zero)
        {
            return false;
        }

        lock (_jobs)
        {
            if (_jobs.Count > 0)
            {
                return false;
            }
        }

        return Environment.TickCount64 - Interlocked.Read(ref _lastActivity) > (long)_idleTimeout.TotalMilliseconds;
    }

    private void Touch() => Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);

    /// <summary>See <see cref="SysupdateTarget.Enumerate"/>.</summary>
    private void EnumerateTargets() => _targets.AddRange(SysupdateTarget.Enumerate(_options, _services, _logger));

    private SysupdateObject CreateManagerObject() => new(
        SysupdateBus.ManagerPath,
        SysupdateBus.ManagerInterface,
        SysupdateIntrospection.Manager,
        [],
        new Dictionary<string, SysupdateMethod>(StringComparer.Ordinal)
        {
            ["ListTargets"] = new("", Guard(_ => Task.FromResult(new MethodReply("a(sso)", (ref MessageWriter w) =>
            {
                var array = w.WriteArrayStart(DBusType.Struct);
                foreach (var target in _targets)
                {
                    w.WriteStructureStart();
                    w.WriteString(target.ClassName);
                    w.WriteString(target.Name);
                    w.WriteObjectPath(target.ObjectPath);
                }

                w.WriteArrayEnd(array);
            })))),
            ["ListJobs"] = new("", Guard(_ =>
            {
                List<(ulong Id, string Type, uint Progress, string Path)> jobs;
                lock (_jobs)
                {
                    jobs = [.. _jobs.Values.OrderBy(j => j.Id).Select(j => (j.Id, j.TypeName, j.Progress, j.Path))];
                }

                return Task.FromResult(new MethodReply("a(tsuo)", (ref MessageWriter w) =>
                {
                    var array = w.WriteArrayStart(DBusType.Struct);
                    foreach (var job in jobs)
                    {
                        w.WriteStructureStart();
                        w.WriteUInt64(job.Id);
                        w.WriteString(job.Type);
                        w.WriteUInt32(job.Progress);
                        w.WriteObjectPath(job.Path);
                    }

                    w.WriteArrayEnd(array);
                }));
            })),
            ["ListAppStream"] = new("", Guard(async _ =>
            {
                var urls = new List<string>();
                foreach (var target in _targets)
                {
                    using var engine = CreateEngine(target, offline: true);
                    urls.AddRange((await engine.ListAsync(_stop.Token).ConfigureAwait(false)).AppStreamUrls);
                }

                return MethodReply.Strings([.. urls.Distinct(StringComparer.Ordinal)]);
            })),
        });

    private UpdateEngine CreateEngine(SysupdateTarget target, bool offline, IUpdateObserver? observer = null) =>
        new(target.Options with { Offline = offline }, _logger, observer, _services);

    /// <summary>Runs a handler with the service's error mapping: engine errors become D-Bus errors with the engine's sentence.</summary>
    private Func<MethodContext, Task<MethodReply>> Guard(Func<MethodContext, Task<MethodReply>> handler) => async context =>
    {
        Touch();
        try
        {
            return await handler(context).ConfigureAwait(false);
        }
        catch (DBusErrorException)
        {
            throw;
        }
        catch (UsageException e)
        {
            throw new DBusErrorException(SysupdateBus.InvalidArgs, e.Message);
        }
        catch (ImageUpdateException e)
        {
            throw new DBusErrorException(SysupdateBus.Failed, e.Message);
        }
        catch (OperationCanceledException)
        {
            throw new DBusErrorException(SysupdateBus.Failed, "The job was cancelled.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DBusErrorException(SysupdateBus.Failed, e.Message);
        }
        finally
        {
            Touch();
        }
    };

    /// <summary>The stand-in for sysupdated's polkit check: changes are for uid 0 only.</summary>
    private async Task RequireRootAsync(MethodContext context, string action)
    {
        if (context.Request.SenderAsString is not { } sender)
        {
            throw new DBusErrorException(SysupdateBus.AccessDenied, $"Only root may {action}, and this caller has no bus name to check.");
        }

        var uid = await _connection.GetConnectionUnixUserAsync(sender, _stop.Token).ConfigureAwait(false);
        if (uid != 0)
        {
            throw new DBusErrorException(SysupdateBus.AccessDenied, $"Only root may {action} (the caller is uid {uid}): image-update serve has no polkit.");
        }
    }

    private SysupdateJob StartJob(SysupdateTarget target, JobType type, bool offline)
    {
        SysupdateJob job;
        lock (_jobs)
        {
            job = new SysupdateJob(_connection, ++_lastJobId, type, offline, target, _stop.Token);
            _jobs.Add(job.Id, job);
        }

        _connection.Export(job.CreateObject(RequireRootAsync));
        _logger.LogInformation("Started job {Id} ({Type}) on {Target}.", job.Id, job.TypeName, target.Id);
        return job;
    }

    private void EndJob(SysupdateJob job)
    {
        _connection.Unexport(job.Path);
        lock (_jobs)
        {
            _jobs.Remove(job.Id);
        }

        job.Dispose();
        Touch();
    }

    /// <summary>A job the method call waits for (everything but Update): listed while it runs, no JobRemoved (as sysupdated).</summary>
    private async Task<T> RunJobAsync<T>(SysupdateTarget target, JobType type, bool offline, Func<SysupdateJob, Task<T>> work)
    {
        var job = StartJob(target, type, offline);
        try
        {
            return await work(job).ConfigureAwait(false);
        }
        finally
        {
            EndJob(job);
        }
    }
}
