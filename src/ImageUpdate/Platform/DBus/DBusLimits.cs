namespace ImageUpdate.Platform.DBus;

/// <summary>The limits of the D-Bus Specification 0.41, checked before any length or depth is used.</summary>
public static class DBusLimits
{
    /// <summary>§Valid Signatures: "The maximum length of a signature is 255."</summary>
    public const int MaxSignatureLength = 255;

    /// <summary>§Valid Signatures: arrays may nest at most 32 deep.</summary>
    public const int MaxArrayDepth = 32;

    /// <summary>§Valid Signatures: structs may nest at most 32 deep.</summary>
    public const int MaxStructDepth = 32;

    /// <summary>§Marshaling (Wire Format): total nesting of containers (arrays, structs, variants) is at most 64.</summary>
    public const int MaxTotalDepth = 64;

    /// <summary>§Message Format: "The maximum length of a message, including header, header alignment padding, and body is 2 to the 27th power or 134217728 (128 MiB)."</summary>
    public const int MaxMessageLength = 1 << 27;

    /// <summary>§Marshaling: "Arrays have a maximum length defined to be 2 to the 26th power or 67108864 (64 MiB)."</summary>
    public const int MaxArrayLength = 1 << 26;

    /// <summary>§Valid Names: bus, interface, member and error names are at most 255 bytes.</summary>
    public const int MaxNameLength = 255;

    /// <summary>
    /// Not a spec limit: the number of unix fds a message may carry. dbus-daemon's default
    /// max_message_unix_fds is 16 per message (system bus); 253 is the kernel's SCM_MAX_FD.
    /// </summary>
    public const int MaxUnixFds = 253;

    /// <summary>The fixed part of the header: endianness, type, flags, version, body length, serial, field array length.</summary>
    public const int FixedHeaderLength = 16;
}
