namespace ImageUpdate.Platform.DBus;

/// <summary>
/// Ours because the engine never reads the environment: Tmds.DBus.Protocol's DBusAddress.System reads
/// $DBUS_SYSTEM_BUS_ADDRESS itself, while here the program reads it once (HostEnvironment) and hands
/// the value in. The address string itself is parsed and connected by Tmds.DBus.Protocol.
/// </summary>
public static class BusAddress
{
    /// <summary>§Message Bus Specification "Well-known Message Bus Instances": the system bus default.</summary>
    public const string DefaultSystemBus = "unix:path=/run/dbus/system_bus_socket";

    /// <summary>$DBUS_SYSTEM_BUS_ADDRESS (as the program read it) when set and not empty, else <see cref="DefaultSystemBus"/>.</summary>
    public static string SystemBusOr(string? systemBusAddress) =>
        systemBusAddress is { Length: > 0 } address ? address : DefaultSystemBus;
}
