using System.Text;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// One entry of a D-Bus server address (D-Bus Specification 0.41 §Server Addresses):
/// "transport:key=value,key=value", values percent-escaped; a full address is a ';'-separated list
/// tried in order. Only the unix transport's path= and abstract= keys are connectable here.
/// </summary>
public sealed record DBusAddress(string Transport, IReadOnlyDictionary<string, string> Properties)
{
    /// <summary>§Message Bus Specification "Well-known Message Bus Instances": the system bus default.</summary>
    public const string DefaultSystemBus = "unix:path=/run/dbus/system_bus_socket";

    /// <summary>$DBUS_SYSTEM_BUS_ADDRESS (as the program read it) when set and not empty, else <see cref="DefaultSystemBus"/>.</summary>
    public static string SystemBusOr(string? systemBusAddress) =>
        systemBusAddress is { Length: > 0 } address ? address : DefaultSystemBus;

    public static IReadOnlyList<DBusAddress> Parse(string addresses)
    {
        var result = new List<DBusAddress>();
        foreach (var entry in addresses.Split(';'))
        {
            if (entry.Length == 0)
            {
                continue;
            }

            var colon = entry.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw Invalid(addresses, $"'{UntrustedText.Escape(entry)}' has no transport");
            }

            var properties = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in entry[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw Invalid(addresses, $"'{UntrustedText.Escape(pair)}' is not key=value");
                }

                if (!properties.TryAdd(pair[..equals], Unescape(addresses, pair[(equals + 1)..])))
                {
                    throw Invalid(addresses, $"key '{UntrustedText.Escape(pair[..equals])}' appears twice");
                }
            }

            result.Add(new DBusAddress(entry[..colon], properties));
        }

        return result.Count > 0 ? result : throw Invalid(addresses, "it is empty");
    }

    /// <summary>The socket path for unix:path= ("\0name" for unix:abstract=), or null for anything else.</summary>
    public string? UnixSocketPath =>
        Transport != "unix" ? null
        : Properties.TryGetValue("path", out var path) ? path
        : Properties.TryGetValue("abstract", out var name) ? "\0" + name
        : null;

    private static string Unescape(string address, string value)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '%')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value[i].ToString()));
                continue;
            }

            if (i + 2 >= value.Length || !byte.TryParse(value.AsSpan(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var b))
            {
                throw Invalid(address, $"'{UntrustedText.Escape(value)}' has a bad %-escape");
            }

            bytes.Add(b);
            i += 2;
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static DBusException Invalid(string address, string why) =>
        new($"D-Bus address '{UntrustedText.Escape(address)}' is invalid: {why}.");
}
