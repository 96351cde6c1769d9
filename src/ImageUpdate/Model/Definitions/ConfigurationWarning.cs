namespace ImageUpdate.Model.Definitions;

/// <summary>What kind of problem a <see cref="ConfigurationWarning"/> is.</summary>
public enum WarningKind
{
    /// <summary>A value that cannot be used (bad boolean, failed specifier, invalid version, ...).</summary>
    InvalidValue,

    /// <summary>A section or key this version does not know: newer definitions stay loadable.</summary>
    UnknownName,

    /// <summary>A value adjusted to what is allowed (InstancesMax=1 becomes 2).</summary>
    Adjusted,

    /// <summary>
    /// An unusable value of a key that only describes the update (ChangeLog=, AppStream=,
    /// Documentation=): dropped, as systemd drops it, and never an error, since it changes nothing
    /// that is written or trusted. The message is systemd's own and names the key itself.
    /// </summary>
    Informational,
}

/// <summary>
/// A problem systemd-sysupdate logs and then ignores (the assignment, the line or the section is
/// skipped), in the form FILE:LINE: KEY: MESSAGE (an <see cref="WarningKind.Informational"/> one,
/// in systemd 262's words, as FILE:LINE: MESSAGE).
/// </summary>
public sealed record ConfigurationWarning(string File, int Line, string? Key, string Message, WarningKind Kind = WarningKind.InvalidValue)
{
    public override string ToString()
    {
        var where = Line > 0 ? $"{File}:{Line}" : File;
        return Key is null || Kind == WarningKind.Informational ? $"{where}: {Message}" : $"{where}: {Key}: {Message}";
    }
}
