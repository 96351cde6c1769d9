namespace ImageUpdate.Platform.DBus;

/// <summary>The header's flags byte (D-Bus Specification 0.41 §Message Format); unknown bits are ignored.</summary>
[Flags]
public enum MessageFlags : byte
{
    None = 0,
    NoReplyExpected = 0x1,
    NoAutoStart = 0x2,
    AllowInteractiveAuthorization = 0x4,
}
