using System.Text.Json;
using ImageUpdate.Platform.Varlink;
using ImageUpdate.Systemd.Service;
using ImageUpdate.Update.Engine;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Systemd.Varlink;

/// <summary>
/// io.systemd.SysUpdate on the engine: ListTargets, ListFeatures and CheckNew with systemd-sysupdate
/// 262's parameters, replies and errors. The targets are the ones `serve` offers on D-Bus
/// (<see cref="SysupdateTarget.Enumerate"/>); each call reads the definitions afresh, on a new engine.
/// CheckNew reaches out to the network, so only root (or the user the service runs as) may call it;
/// 262 asks polkit, which lets root through.
/// </summary>
public sealed class SysUpdateVarlinkService : IVarlinkInterface
{
    private readonly EngineOptions _options;
    private readonly EngineServices _services;
    private readonly ILogger _logger;
    private readonly uint _serviceUser;

    public SysUpdateVarlinkService(EngineOptions options, EngineServices services, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _services = services;
        _logger = logger;
        _serviceUser = Foundation.Native.Libc.GetEffectiveUserId();
    }

    public string Name => SysUpdateInterface.Name;

    public string Description => SysUpdateInterface.Description;

    public async Task<Action<Utf8JsonWriter>?> CallAsync(string method, VarlinkCall call, VarlinkPeer peer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(peer);
        switch (method)
        {
            case "ListTargets":
                VarlinkServer.RequireOnly(call.Parameters);
                return ListTargets();
            case "ListFeatures":
                return ListFeatures(call.Parameters);
            case "CheckNew":
                return await CheckNewAsync(call.Parameters, peer, cancellationToken).ConfigureAwait(false);
            default:
                throw VarlinkServer.MethodNotFound(call.Method);
        }
    }

    private Action<Utf8JsonWriter> ListFeatures(JsonElement parameters)
    {
        VarlinkServer.RequireOnly(parameters, "target");
        var target = Find(TargetIdentifier.Read(parameters, "target"));
        using var engine = CreateEngine(target, offline: true);
        if (engine.TransferCounts() is (0, 0))
        {
            throw new VarlinkErrorException(SysUpdateInterface.NoSuchTarget); // 262: no transfer at all
        }

        return WriteFeatures(engine.Features());
    }

    private async Task<Action<Utf8JsonWriter>> CheckNewAsync(JsonElement parameters, VarlinkPeer peer, CancellationToken cancellationToken)
    {
        VarlinkServer.RequireOnly(parameters, "target", "allowInteractiveAuthentication");
        var id = TargetIdentifier.Read(parameters, "target");
        if (parameters.TryGetProperty("allowInteractiveAuthentication", out var interactive)
            && interactive.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
        {
            throw VarlinkErrorException.InvalidParameter("allowInteractiveAuthentication");
        }

        if (peer.UserId is not { } uid || (uid != 0 && uid != _serviceUser))
        {
            throw new VarlinkErrorException(VarlinkService.PermissionDenied);
        }

        var target = Find(id);
        using var engine = CreateEngine(target, offline: false);
        if (engine.TransferCounts().Enabled == 0)
        {
            throw new VarlinkErrorException(SysUpdateInterface.NoSuchTarget); // 262: no enabled transfer
        }

        var available = await engine.CheckNewAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new VarlinkErrorException(SysUpdateInterface.NoUpdateNeeded);
        return w => w.WriteString("available", available);
    }

    private Action<Utf8JsonWriter> ListTargets()
    {
        // 262 sorts by class (host before component) and then by name.
        var targets = Targets()
            .OrderBy(t => t.Class)
            .ThenBy(t => t.Name, StringComparer.Ordinal)
            .ToList();
        return w =>
        {
            w.WriteStartArray("targets");
            foreach (var target in targets)
            {
                w.WriteStartObject();
                w.WriteStartObject("id");
                w.WriteString("class", target.ClassName);
                if (target.Class == TargetClass.Host)
                {
                    w.WriteNull("name");
                }
                else
                {
                    w.WriteString("name", target.Name);
                }

                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        };
    }

    private static Action<Utf8JsonWriter> WriteFeatures(IReadOnlyList<FeatureRow> features) => w =>
    {
        w.WriteStartArray("features");
        foreach (var feature in features)
        {
            w.WriteStartObject();
            w.WriteString("id", feature.Name);
            if (!string.IsNullOrEmpty(feature.Description))
            {
                w.WriteString("description", feature.Description);
            }

            if (feature.Documentation.Count > 0)
            {
                w.WriteStartArray("documentation");
                foreach (var url in feature.Documentation)
                {
                    w.WriteStringValue(url);
                }

                w.WriteEndArray();
            }

            if (!string.IsNullOrEmpty(feature.AppStream))
            {
                w.WriteString("appStream", feature.AppStream);
            }

            w.WriteBoolean("enabled", feature.Enabled);

            // As `features NAME --json`: no "suggested" when a SuggestOn*= condition could not be tested.
            if (feature.Suggested is { } suggested)
            {
                w.WriteBoolean("suggested", suggested);
            }
            if (feature.Transfers.Count > 0)
            {
                w.WriteStartArray("transfers");
                foreach (var transfer in feature.Transfers)
                {
                    w.WriteStringValue(transfer);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    };

    /// <summary>The target the identifier names; machine, portable, sysext and confext images are not enumerated, so never found.</summary>
    private SysupdateTarget Find(TargetIdentifier id) =>
        Targets().FirstOrDefault(t =>
            (id.Class == TargetIdentifier.HostClass && t.Class == TargetClass.Host)
            || (id.Class == TargetIdentifier.ComponentClass && t.Class == TargetClass.Component && t.Name == id.Name))
        ?? throw new VarlinkErrorException(SysUpdateInterface.NoSuchTarget);

    /// <summary>
    /// The D-Bus service's targets, except the host when its sysupdate.d has no enabled transfer:
    /// 262 lists (and finds) the host only then, and a component whenever its directory exists.
    /// </summary>
    private IEnumerable<SysupdateTarget> Targets() =>
        SysupdateTarget.Enumerate(_options, _services, _logger).Where(t =>
        {
            if (t.Class != TargetClass.Host)
            {
                return true;
            }

            using var engine = CreateEngine(t, offline: true);
            return engine.TransferCounts().Enabled > 0;
        });

    private UpdateEngine CreateEngine(SysupdateTarget target, bool offline) =>
        new(target.Options with { Offline = offline }, _logger, services: _services);
}
