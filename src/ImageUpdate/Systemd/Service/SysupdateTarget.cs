using ImageUpdate.Update.Engine;
using Microsoft.Extensions.Logging;

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

    /// <summary>
    /// The host target when the definitions have a default set (or --definitions names them), and one
    /// target per component, as sysupdated enumerates them through `systemd-sysupdate components`
    /// (and systemd-sysupdate's Varlink ListTargets does): what both `serve` and the Varlink service offer.
    /// </summary>
    public static IReadOnlyList<SysupdateTarget> Enumerate(EngineOptions options, EngineServices services, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.DefinitionsDirectory is { } directory)
        {
            return [new SysupdateTarget(TargetClass.Host, "host", directory, options)];
        }

        if (options.Component is { } only)
        {
            return [new SysupdateTarget(TargetClass.Component, only, $"sysupdate.{only}.d", options)];
        }

        using var engine = new UpdateEngine(options, logger, services: services);
        var (hasDefault, names) = engine.Components();
        var targets = new List<SysupdateTarget>();
        if (hasDefault)
        {
            targets.Add(new SysupdateTarget(TargetClass.Host, "host", "sysupdate.d", options));
        }

        foreach (var name in names)
        {
            targets.Add(new SysupdateTarget(TargetClass.Component, name, $"sysupdate.{name}.d", options with { Component = name }));
        }

        return targets;
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
