using System.Globalization;
using System.Net;

namespace ImageUpdate.Platform.Transport;

/// <summary>
/// One entry of no_proxy. curl's rules (which systemd-importd inherits): a host name matches itself
/// and every name below it ("example.com" and ".example.com" both cover "a.example.com" but not
/// "badexample.com"), an IP address or CIDR range matches only URLs that name an address (no DNS
/// lookup), "*" matches everything. Like Go's net/http, an entry may also end in ":port" to cover
/// only that port.
/// </summary>
internal sealed record NoProxyRule(string? Host, IPNetwork? Network, int? Port, bool MatchesAll)
{
    public static NoProxyRule? Parse(string entry)
    {
        entry = entry.Trim();
        if (entry.Length == 0)
        {
            return null;
        }

        if (entry == "*")
        {
            return new NoProxyRule(null, null, null, MatchesAll: true);
        }

        var (host, port) = SplitPort(entry);
        if (host.Length == 0)
        {
            return null;
        }

        if (TryParseNetwork(host, out var network))
        {
            return new NoProxyRule(null, network, port, MatchesAll: false);
        }

        // "*.example.com" is a common spelling of ".example.com"; both mean the domain and below.
        host = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host.TrimStart('.');
        host = host.TrimEnd('.').ToLowerInvariant();
        return host.Length == 0 ? null : new NoProxyRule(host, null, port, MatchesAll: false);
    }

    /// <param name="host">The destination host, lower case, without brackets or a trailing dot.</param>
    public bool Matches(string host, IPAddress? address, int port)
    {
        if (MatchesAll)
        {
            return true;
        }

        if (Port is { } only && only != port)
        {
            return false;
        }

        if (Network is { } network)
        {
            return address is not null && network.Contains(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
        }

        return address is null
            && Host is { } domain
            && (host == domain || (host.EndsWith(domain, StringComparison.Ordinal) && host[^(domain.Length + 1)] == '.'));
    }

    /// <summary>"192.168.1.7", "10.1.2.3/8" (curl masks the host bits, so do we), "::1", "fd00::/8".</summary>
    private static bool TryParseNetwork(string text, out IPNetwork network)
    {
        network = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];

        // IPAddress.TryParse also takes "10" or "10.1" (inet_aton forms); a no_proxy entry in those
        // shapes is more likely a host name, so only dotted quads and IPv6 count as addresses.
        var looksLikeAddress = addressText.Contains(':', StringComparison.Ordinal) || addressText.Count(c => c == '.') == 3;
        if (!looksLikeAddress || !IPAddress.TryParse(addressText, out var address))
        {
            return false;
        }

        var bytes = address.GetAddressBytes();
        var prefix = bytes.Length * 8;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bytes.Length * 8))
        {
            return false;
        }

        for (var bit = prefix; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        network = new IPNetwork(new IPAddress(bytes), prefix);
        return true;
    }

    private static (string Host, int? Port) SplitPort(string entry)
    {
        if (entry.StartsWith('['))
        {
            var close = entry.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return (entry, null);
            }

            var inside = entry[1..close];
            var rest = entry[(close + 1)..];
            return rest.StartsWith(':') && TryPort(rest[1..], out var bracketPort) ? (inside, bracketPort) : (inside, null);
        }

        var colon = entry.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || entry.IndexOf(':', colon + 1) >= 0)
        {
            // No colon, or several: a bare IPv6 address (with or without /prefix), which has no port.
            return (entry, null);
        }

        return TryPort(entry[(colon + 1)..], out var port) ? (entry[..colon], port) : (entry, null);
    }

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535;
}
