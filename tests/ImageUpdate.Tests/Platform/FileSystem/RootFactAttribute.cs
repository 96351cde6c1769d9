using System.Runtime.CompilerServices;

using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.FileSystem;

/// <summary>
/// A fact that needs root (chown, device nodes): skipped with that reason on a developer's machine,
/// but never in CI (CI=true), where it runs and fails if root is missing, so nothing skips silently.
/// </summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (!TestEnvironment.IsRoot && !TestEnvironment.InCi)
        {
            Skip = "needs root (CI runs as root)";
        }
    }
}
