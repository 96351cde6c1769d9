using ImageUpdate.Planning;
using ImageUpdate.Resources;
using ImageUpdate.Versions;

namespace ImageUpdate.Tests.Planning;

/// <summary>Small builders for planning tests: inventories from version lists.</summary>
internal static class Inventories
{
    public static Instance At(string version, string? place = null, bool partial = false, bool pending = false) =>
        new($"/{place ?? "x"}/{version}", new InstanceMetadata { Version = version }, partial, pending);

    public static ResourceInventory Of(params string[] versions) => new(versions.Select(v => At(v)));

    public static ResourceInventory With(params Instance[] instances) => new(instances);

    public static TransferInventory Transfer(ResourceInventory source, ResourceInventory target, string? minVersion = null, string? maxVersion = null, params string[] protect) =>
        new("t", source, target, minVersion, maxVersion, protect);
}
