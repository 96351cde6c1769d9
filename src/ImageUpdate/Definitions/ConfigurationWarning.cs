namespace ImageUpdate.Definitions;

/// <summary>
/// A problem systemd-sysupdate logs and then ignores (the assignment, the line or the section is
/// skipped), in the form FILE:LINE: KEY: MESSAGE.
/// </summary>
public sealed record ConfigurationWarning(string File, int Line, string? Key, string Message)
{
    public override string ToString()
    {
        var where = Line > 0 ? $"{File}:{Line}" : File;
        return Key is null ? $"{where}: {Message}" : $"{where}: {Key}: {Message}";
    }
}
