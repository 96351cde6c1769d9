using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.Archives;

/// <summary>
/// A tar archive or a directory tree cannot be unpacked or copied safely: a malformed archive, an
/// entry that would land outside the destination or go through a symlink, a device node, ...
/// </summary>
public sealed class ArchiveException : ImageUpdateException
{
    public ArchiveException(string message) : base(message) { }

    public ArchiveException(string message, Exception inner) : base(message, inner) { }

    internal static ArchiveException ForEntry(string entryName, string problem) =>
        new($"Refusing entry '{UntrustedText.Escape(entryName)}': {problem}.");
}
