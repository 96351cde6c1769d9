using ImageUpdate.Model.Host;

namespace ImageUpdate.Model.Definitions;

/// <summary>
/// Where specifier values come from: the host identity and the os-release of the root being updated.
/// <see cref="RootGiven"/> mirrors systemd's "root != NULL": then %T and %V are /tmp and /var/tmp
/// rather than the environment's temporary directories.
/// </summary>
public sealed class SpecifierContext
{
    private readonly Lazy<HostIdentity> _host;
    private readonly Lazy<OsRelease?> _osRelease;

    public SpecifierContext(HostIdentity host, Func<OsRelease?> osRelease, bool rootGiven)
        : this(() => host, osRelease, rootGiven)
    {
        ArgumentNullException.ThrowIfNull(host);
    }

    /// <param name="host">Detects the host identity; called the first time a specifier needs it (most
    /// definition sets use none, and `list` at every boot should not read /proc for nothing).</param>
    public SpecifierContext(Func<HostIdentity> host, Func<OsRelease?> osRelease, bool rootGiven)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(osRelease);
        _host = new Lazy<HostIdentity>(host);
        RootGiven = rootGiven;
        _osRelease = new Lazy<OsRelease?>(osRelease);
    }

    public HostIdentity Host => _host.Value;

    public bool RootGiven { get; }

    /// <summary>Null when the root has no os-release file.</summary>
    public OsRelease? OsRelease => _osRelease.Value;

    /// <summary>The running host, detected and with os-release and machine-id read from <paramref name="root"/> when first needed.</summary>
    public static SpecifierContext ForRoot(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var rootGiven = !IsHostRoot(root);
        return new SpecifierContext(() => HostIdentity.Detect(root), () => OsRelease.Read(root), rootGiven);
    }

    internal static bool IsHostRoot(string root) => root.Length == 0 || root.Trim('/').Length == 0;
}
