using ImageUpdate.Model.Host;

namespace ImageUpdate.Model.Definitions;

/// <summary>
/// Where specifier values come from: the host identity and the os-release of the root being updated.
/// <see cref="RootGiven"/> mirrors systemd's "root != NULL": then %T and %V are /tmp and /var/tmp
/// rather than the environment's temporary directories.
/// </summary>
public sealed class SpecifierContext
{
    private readonly Lazy<OsRelease?> _osRelease;

    public SpecifierContext(HostIdentity host, Func<OsRelease?> osRelease, bool rootGiven)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(osRelease);
        Host = host;
        RootGiven = rootGiven;
        _osRelease = new Lazy<OsRelease?>(osRelease);
    }

    public HostIdentity Host { get; }

    public bool RootGiven { get; }

    /// <summary>Null when the root has no os-release file.</summary>
    public OsRelease? OsRelease => _osRelease.Value;

    /// <summary>The running host, with os-release and machine-id read lazily from <paramref name="root"/>.</summary>
    public static SpecifierContext ForRoot(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var rootGiven = !IsHostRoot(root);
        return new SpecifierContext(HostIdentity.Detect(root), () => OsRelease.Read(root), rootGiven);
    }

    internal static bool IsHostRoot(string root) => root.Length == 0 || root.Trim('/').Length == 0;
}
