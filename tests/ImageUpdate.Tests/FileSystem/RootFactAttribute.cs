namespace ImageUpdate.Tests.FileSystem;

/// <summary>A fact that needs root (chown, device nodes); skipped with that reason elsewhere. CI runs as root.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Skip = "needs root (CI runs as root)";
        }
    }
}
