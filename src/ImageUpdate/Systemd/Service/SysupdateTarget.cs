using ImageUpdate.Update.Engine;

namespace ImageUpdate.Systemd.Service;

/// <summary>
/// An update target: the host (the default sysupdate.d set) or a component, with the engine settings
/// that select it. At most one update or vacuum runs on it at a time (sysupdated's busy flag).
/// </summary>
public sealed class SysupdateTarget
{
    private int _busy;

    public SysupdateTarget(TargetClass @class, string name, string path, EngineOptions options)
    {
        Class = @class;
        Name = name;
        Path = path;
        Options = options;
        Id = @class == TargetClass.Host ? "host" : $"component:{name}";
        ObjectPath = SysupdateBus.TargetPath(Id);
    }

    public TargetClass Class { get; }

    /// <summary>The Class property's word.</summary>
    public string ClassName => Class == TargetClass.Host ? "host" : "component";

    public string Name { get; }

    /// <summary>The Path property: the sysupdate.d directory's name (or the --definitions directory).</summary>
    public string Path { get; }

    /// <summary>"host" or "component:NAME": the last element of the object path, label-escaped.</summary>
    public string Id { get; }

    public string ObjectPath { get; }

    public EngineOptions Options { get; }

    public bool IsBusy => Volatile.Read(ref _busy) != 0;

    /// <summary>Claims the target for a writing job; false when another one holds it.</summary>
    public bool TryClaim() => Interlocked.CompareExchange(ref _busy, 1, 0) == 0;

    public void Release() => Volatile.Write(ref _busy, 0);
}
