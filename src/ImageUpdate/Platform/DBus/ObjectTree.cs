using Tmds.DBus.Protocol;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// The objects a connection exports (<see cref="BusConnection.Export"/>), behind one handler that the
/// package routes every path to. Ours because Tmds.DBus.Protocol 0.95.2 answers a call to a path
/// where nothing is exported with UnknownMethod, where sd-bus, libdbus and systemd-sysupdated answer
/// org.freedesktop.DBus.Error.UnknownObject, which clients of a finished job's path rely on; and the
/// package cannot put a fallback above exported objects (a handler of child paths may have no handler
/// below it). So this routes calls by exact path, lists child nodes in Introspect, and answers
/// UnknownObject for paths without an object. Peer is still answered by the package.
/// </summary>
public sealed class ObjectTree : IPathMethodHandler
{
    public const string UnknownObject = "org.freedesktop.DBus.Error.UnknownObject";

    private readonly Dictionary<string, ExportedObject> _objects = new(StringComparer.Ordinal);

    public string Path => "/";

    public bool HandlesChildPaths => true;

    /// <summary>Exports <paramref name="obj"/> at its path; throws <see cref="InvalidOperationException"/> when the path is taken.</summary>
    public void Add(ExportedObject obj)
    {
        lock (_objects)
        {
            if (!_objects.TryAdd(obj.Path, obj))
            {
                throw new InvalidOperationException($"An object is already exported at {obj.Path}.");
            }
        }
    }

    public bool Remove(string path)
    {
        lock (_objects)
        {
            return _objects.Remove(path);
        }
    }

    public ValueTask HandleMethodAsync(MethodContext context)
    {
        var path = context.Request.PathAsString ?? "/";
        ExportedObject? obj;
        string[] children;
        lock (_objects)
        {
            obj = _objects.GetValueOrDefault(path);
            children = context.IsDBusIntrospectRequest ? ChildNames(path) : [];
        }

        if (context.IsDBusIntrospectRequest && (obj is not null || children.Length > 0 || path == "/"))
        {
            if (obj is null)
            {
                context.ReplyIntrospectXml([], children);
            }
            else
            {
                obj.ReplyIntrospect(context, children);
            }

            return ValueTask.CompletedTask;
        }

        if (obj is not null)
        {
            return obj.HandleMethodAsync(context);
        }

        // An object path is [A-Za-z0-9_/] only (the package refuses others): nothing to escape.
        context.ReplyError(UnknownObject, $"No object at {path}.");
        return ValueTask.CompletedTask;
    }

    /// <summary>The names of the direct children of <paramref name="path"/> among the exported paths.</summary>
    private string[] ChildNames(string path)
    {
        var prefix = path == "/" ? "/" : path + "/";
        return
        [
            .. _objects.Keys
                .Where(p => p.Length > prefix.Length && p.StartsWith(prefix, StringComparison.Ordinal))
                .Select(p => p[prefix.Length..].Split('/')[0])
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal),
        ];
    }
}
