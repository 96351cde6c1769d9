using System.Net.Security;
using System.Reflection;

namespace ImageUpdate.Platform.Transport;

/// <summary>
/// How <see cref="UrlFetcher"/> talks to servers. The environment (proxy variables) is passed in,
/// never read inside the transport, so the proxy logic can be tested without touching the process.
/// </summary>
public sealed record TransportOptions
{
    /// <summary>The environment the proxy variables are taken from (https_proxy, no_proxy, ALL_PROXY, ...).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>How long a TCP (and proxy, and TLS) connection may take to establish.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the server may go without sending a byte (response headers included) before the
    /// download is abandoned. A stall is not retried: a server that stopped once is reported.
    /// </summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Consecutive failed attempts (without a byte of progress between them) before a transient failure is reported.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>The wait before the first retry; it doubles for each further one, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    public string UserAgent { get; init; } = DefaultUserAgent;

    /// <summary>
    /// Tests only: replaces certificate validation so a test server with a self-signed certificate
    /// can be reached. Internal on purpose: there is no switch to disable TLS verification for users.
    /// </summary>
    internal RemoteCertificateValidationCallback? CertificateValidationForTests { get; init; }

    /// <summary>"image-update/&lt;version&gt;", the version without the "+commit" build metadata.</summary>
    public static string DefaultUserAgent { get; } = "image-update/" + AssemblyVersion();

    internal TimeSpan RetryDelayFor(int retry)
    {
        var delay = RetryDelay * Math.Pow(2, Math.Min(retry - 1, 16));
        return delay < MaxRetryDelay ? delay : MaxRetryDelay;
    }

    private static string AssemblyVersion()
    {
        var assembly = typeof(TransportOptions).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString()
            ?? "0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
