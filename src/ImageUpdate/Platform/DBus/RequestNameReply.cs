namespace ImageUpdate.Platform.DBus;

/// <summary>The result codes of org.freedesktop.DBus.RequestName.</summary>
public enum RequestNameReply : uint
{
    PrimaryOwner = 1,
    InQueue = 2,
    Exists = 3,
    AlreadyOwner = 4,
}
