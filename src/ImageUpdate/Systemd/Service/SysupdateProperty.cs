using ImageUpdate.Platform.DBus;

namespace ImageUpdate.Systemd.Service;

/// <summary>A read-only property of a sysupdate1 object: its name and a writer of its current value as a variant.</summary>
internal sealed record SysupdateProperty(string Name, BodyWriter WriteValue);
