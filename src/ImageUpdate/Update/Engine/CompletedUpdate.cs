namespace ImageUpdate.Update.Engine;

/// <summary>
/// An update that was installed (not a no-op): the component it belongs to (null: the host's default
/// set), the version, and the resources this run installed, as systemd-sysupdate 262 reports them to
/// its subscribers.
/// </summary>
public sealed record CompletedUpdate(string? Component, string Version, IReadOnlyList<CompletedResource> Resources);
