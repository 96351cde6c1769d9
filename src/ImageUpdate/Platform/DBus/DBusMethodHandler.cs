namespace ImageUpdate.Platform.DBus;

/// <summary>Handles one call of an exported method; throw <see cref="DBusErrorException"/> (or return <see cref="DBusReply.Error"/>) to fail it.</summary>
public delegate ValueTask<DBusReply> DBusMethodHandler(DBusMethodContext context);
