namespace ImageUpdate.Platform.DBus;

/// <summary>The flags of org.freedesktop.DBus.RequestName (D-Bus Specification 0.41 §Message Bus Messages).</summary>
[Flags]
public enum RequestNameFlags : uint
{
    None = 0,
    AllowReplacement = 0x1,
    ReplaceExisting = 0x2,
    DoNotQueue = 0x4,
}
