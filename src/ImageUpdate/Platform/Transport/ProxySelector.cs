using System.Globalization;
using System.Net;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.Transport;

/// <summary>
/// Chooses the proxy for a URL from the proxy environment variables, as curl (and so
/// systemd-importd) reads them: https_proxy for https URLs, http_proxy for http URLs, ALL_PROXY
/// for either when the specific one is unset, no_proxy to go direct; lower case wins over upper
/// case. Proxies may be http://, https://, socks4://, socks4a://, socks5:// or socks5h://
/// (Tor's usual spelling). file:// URLs are never proxied.
/// </summary>
/// <remarks>
/// The environment is validated when the selector is made: SocketsHttpHandler swallows exceptions
/// from <see cref="IWebProxy.GetProxy"/> and then connects directly, which must never happen for a
/// user who asked for Tor.
/// </remarks>
public sealed class ProxySelector : IWebProxy
{
    // curl: "If the port number is not specified in the proxy string, it is assumed to be 1080";
    // an https:// proxy defaults to 443.
    private const int DefaultProxyPort = 1080;
    private const int DefaultHttpsProxyPort = 443;

    private readonly Uri? _httpsProxy;
    private readonly Uri? _httpProxy;
    private readonly IReadOnlyList<NoProxyRule> _noProxy;
    private readonly ProxyCredentials _credentials = new();

    public ProxySelector(IReadOnlyDictionary<string, string> environment)
    {
        var all = Read(environment, "all_proxy", "ALL_PROXY");
        _httpsProxy = Read(environment, "https_proxy", "HTTPS_PROXY") ?? all;
        _httpProxy = Read(environment, "http_proxy", "HTTP_PROXY") ?? all;
        _noProxy = ParseNoProxy(Lookup(environment, "no_proxy", "NO_PROXY")?.Value);
    }

    /// <summary>The proxy the credentials from the proxy URLs are offered to (SOCKS5 user/password, HTTP Basic).</summary>
    public ICredentials? Credentials
    {
        get => _credentials;
        set => throw new NotSupportedException("Proxy credentials come from the proxy URL in the environment.");
    }

    /// <summary>The proxy for <paramref name="destination"/> (without user information), or null to connect directly.</summary>
    public Uri? Select(Uri destination)
    {
        var proxy = destination.Scheme switch
        {
            "https" => _httpsProxy,
            "http" => _httpProxy,
            _ => null,
        };

        return proxy is null || IsExcluded(destination) ? null : proxy;
    }

    Uri? IWebProxy.GetProxy(Uri destination) => Select(destination);

    bool IWebProxy.IsBypassed(Uri host) => Select(host) is null;

    private bool IsExcluded(Uri destination)
    {
        var host = destination.Host;
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        host = host.TrimEnd('.').ToLowerInvariant();
        IPAddress? address = destination.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 && IPAddress.TryParse(host, out var parsed)
            ? parsed
            : null;
        return _noProxy.Any(rule => rule.Matches(host, address, destination.Port));
    }

    private static IReadOnlyList<NoProxyRule> ParseNoProxy(string? value)
    {
        if (value is null)
        {
            return [];
        }

        // curl separates entries with commas and (since 7.86) white space.
        return value.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries)
            .Select(NoProxyRule.Parse)
            .OfType<NoProxyRule>()
            .ToArray();
    }

    private static (string Name, string Value)? Lookup(IReadOnlyDictionary<string, string> environment, string lower, string upper)
    {
        // An empty variable is the same as an unset one (curl, Go, wget agree).
        if (environment.TryGetValue(lower, out var value) && value.Trim().Length > 0)
        {
            return (lower, value.Trim());
        }

        return environment.TryGetValue(upper, out value) && value.Trim().Length > 0 ? (upper, value.Trim()) : null;
    }

    private Uri? Read(IReadOnlyDictionary<string, string> environment, string lower, string upper) =>
        Lookup(environment, lower, upper) is { } found ? ParseProxy(found.Name, found.Value) : null;

    private Uri ParseProxy(string variable, string value)
    {
        // curl takes "host:port" without a scheme as an HTTP proxy.
        var text = value.Contains("://", StringComparison.Ordinal) ? value : "http://" + value;
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        var scheme = text[..schemeEnd].ToLowerInvariant() switch
        {
            "http" => "http",
            "https" => "https",
            "socks" or "socks4" => "socks4",
            "socks4a" => "socks4a",
            // .NET's SOCKS5 client always sends the host name to the proxy (RFC 1928 ATYP 3), which
            // is what socks5h asks for; curl's socks5 resolves locally, here both resolve remotely,
            // so a socks5:// Tor proxy does not leak DNS lookups either.
            "socks5" or "socks5h" => "socks5",
            var other => throw Invalid(variable, $"the proxy scheme '{UntrustedText.Escape(other)}' is not one of http, https, socks4, socks4a, socks5, socks5h"),
        };

        var rest = text[(schemeEnd + 3)..];
        var authorityEnd = rest.IndexOfAny(['/', '?', '#']);
        var authority = authorityEnd < 0 ? rest : rest[..authorityEnd];
        var at = authority.LastIndexOf('@');
        var userInfo = at < 0 ? null : authority[..at];
        var hostPort = at < 0 ? authority : authority[(at + 1)..];

        if (!Uri.TryCreate($"{scheme}://{hostPort}/", UriKind.Absolute, out var parsed) || parsed.Host.Length == 0)
        {
            throw Invalid(variable, "it does not name a proxy host");
        }

        var hasPort = hostPort.LastIndexOf(':') > hostPort.LastIndexOf(']');
        var port = hasPort ? parsed.Port : scheme == "https" ? DefaultHttpsProxyPort : DefaultProxyPort;
        var proxy = new UriBuilder(scheme, parsed.Host, port).Uri;

        if (userInfo is not null)
        {
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            var user = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
            var password = colon < 0 ? "" : Uri.UnescapeDataString(userInfo[(colon + 1)..]);
            _credentials.Add(proxy, new NetworkCredential(user, password));
        }

        return proxy;
    }

    private static ConfigurationException Invalid(string variable, string why) =>
        // The value itself is not quoted: proxy URLs carry passwords.
        new(string.Create(CultureInfo.InvariantCulture, $"The {variable} environment variable is not a usable proxy URL: {why}."));
}
