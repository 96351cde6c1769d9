using ImageUpdate.Platform.DBus;
using ImageUpdate.Systemd.Notify;
using ImageUpdate.Update.Engine;
using Tmds.DBus.Protocol;

namespace ImageUpdate.Systemd.Service;

/// <summary>
/// One operation on a target, exported at /org/freedesktop/sysupdate1/job/_ID with the
/// org.freedesktop.sysupdate1.Job interface (Id, Type, Offline, Progress; Cancel) while it runs. It
/// observes the engine, so an update's transfer progress becomes the Progress property, announced with
/// PropertiesChanged each time the whole percentage rises.
/// </summary>
public sealed class SysupdateJob : IUpdateObserver, IDisposable
{
    private readonly BusConnection _connection;
    private SysupdateObject? _object;
    private readonly CancellationTokenSource _cancel;
    private int _progress;

    internal SysupdateJob(BusConnection connection, ulong id, JobType type, bool offline, SysupdateTarget target, CancellationToken stopping)
    {
        _connection = connection;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        Id = id;
        Type = type;
        Offline = offline;
        Target = target;
        Path = SysupdateBus.JobPath(id);
    }

    public ulong Id { get; }

    public JobType Type { get; }

    public bool Offline { get; }

    public SysupdateTarget Target { get; }

    public string Path { get; }

    /// <summary>0–100; only update jobs move it (as in sysupdated).</summary>
    public uint Progress => (uint)Volatile.Read(ref _progress);

    public CancellationToken Token => _cancel.Token;

    /// <summary>The Type property: sysupdated's words for the job types.</summary>
    public string TypeName => Type switch
    {
        JobType.List => "list",
        JobType.Describe => "describe",
        JobType.CheckNew => "check-new",
        JobType.Update => "update",
        JobType.Vacuum => "vacuum",
        _ => "describe-feature",
    };

    public void Cancel() => _cancel.Cancel();

    /// <summary>
    /// Cancels the job; false when it has ended meanwhile. Calls are handled beside the receive loop,
    /// so a Cancel routed before the job ended may get here after <see cref="Dispose"/>.
    /// </summary>
    public bool TryCancel()
    {
        try
        {
            _cancel.Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    internal SysupdateObject CreateObject(Func<MethodContext, string, Task> requireRoot)
    {
        _object = new SysupdateObject(
            Path,
            SysupdateBus.JobInterface,
            SysupdateIntrospection.Job,
            [
                new("Id", (ref MessageWriter w) => w.WriteVariantUInt64(Id)),
                new("Type", (ref MessageWriter w) => w.WriteVariantString(TypeName)),
                new("Offline", (ref MessageWriter w) => w.WriteVariantBool(Offline)),
                new("Progress", (ref MessageWriter w) => w.WriteVariantUInt32(Progress)),
            ],
            new Dictionary<string, SysupdateMethod>(StringComparer.Ordinal)
            {
                ["Cancel"] = new("", async context =>
                {
                    await requireRoot(context, "cancel a job").ConfigureAwait(false);
                    if (!TryCancel())
                    {
                        // As if the call had come a moment later, when the path had no object.
                        throw new DBusErrorException(ObjectTree.UnknownObject, $"No object at {Path}.");
                    }

                    return MethodReply.Empty;
                }),
            });
        return _object;
    }

    public void OnStatus(string version, string status)
    {
    }

    public void OnProgress(string version, int index, int count, double fraction)
    {
        if (count <= 0 || index < 0 || index >= count)
        {
            return;
        }

        // Progress<T> callbacks may arrive out of order: the property only ever rises.
        var percent = SystemdNotifier.OverallProgress(index, count, (int)Math.Floor(fraction * 100));
        int seen;
        do
        {
            seen = Volatile.Read(ref _progress);
            if (percent <= seen)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _progress, percent, seen) != seen);

        // False when the bus went away: nobody is left to tell.
        _object?.EmitPropertiesChanged(_connection.Connection, "Progress");
    }

    public void Dispose() => _cancel.Dispose();
}
