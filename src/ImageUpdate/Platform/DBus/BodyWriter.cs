using Tmds.DBus.Protocol;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// Writes a message body with Tmds.DBus.Protocol's writer. Ours because the package's writer is a ref
/// struct that cannot cross an await or live in a record: a call (<see cref="DBusCall"/>) or a reply
/// (<see cref="MethodReply"/>) carries this delegate instead, and the writer is lent to it when the
/// message is built.
/// </summary>
public delegate void BodyWriter(ref MessageWriter writer);
