using ImageUpdate.Formats.Versions;
using ImageUpdate.Model.Planning;
using ImageUpdate.Model.Resources;

namespace ImageUpdate.Tests.Model.Planning;

/// <summary>Small builders for planning tests: inventories from version lists.</summary>
internal static class Inventories
{
    public static Instance At(string version, string? place = null, bool partial = false, bool pending = false) =>
        new($"/{place ?? "x"}/{version}", new InstanceMetadata { Version = version }, partial, pending);

    public static ResourceInventory Of(params string[] versions) => new(versions.Select(v => At(v)));

    public static ResourceInventory With(params Instance[] instances) => new(instances);

    private static int _transfers;

    /// <summary>A transfer with the given inventories; each gets its own id (an update set is keyed by transfer) unless one is given.</summary>
    public static TransferInventory Transfer(ResourceInventory source, ResourceInventory target, string? minVersion = null, string? maxVersion = null, string? id = null, params string[] protect) =>
        new(id ?? $"t{Interlocked.Increment(ref _transfers)}", source, target, minVersion, maxVersion, protect);
}
