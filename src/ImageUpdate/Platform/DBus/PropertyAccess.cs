namespace ImageUpdate.Platform.DBus;

/// <summary>The access attribute of a property in introspection data.</summary>
public enum PropertyAccess
{
    Read,
    Write,
    ReadWrite,
}
