using Tmds.DBus.Protocol;

namespace ImageUpdate.Platform.DBus;

/// <summary>Writes a message body with Tmds.DBus.Protocol's writer (a ref struct, so it is lent, never kept).</summary>
public delegate void BodyWriter(ref MessageWriter writer);
