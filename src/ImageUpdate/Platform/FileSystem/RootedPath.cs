using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.FileSystem;

/// <summary>
/// Resolves a path the way it would resolve if <c>root</c> were "/" (systemd's chase() with
/// CHASE_PREFIX_ROOT|CHASE_NONEXISTENT): every symbolic link met on the way is followed inside the
/// root (an absolute link target starts again at the root, ".." stops at the root), so a link in an
/// OS tree can never lead a write outside it. The part that does not exist yet is kept as written.
/// </summary>
public static class RootedPath
{
    private const int MaxLinks = 40;

    /// <param name="root">An absolute directory; "/" means no confinement (the path is only normalized).</param>
    /// <param name="path">An absolute path as seen from inside the root.</param>
    /// <param name="refuseLinks">Refuse any symbolic link on the way (paths the firmware reads: ESP, XBOOTLDR).</param>
    public static string Resolve(string root, string path, bool refuseLinks = false)
    {
        root = Path.GetFullPath(root);
        var rooted = root != "/";
        var pending = new Stack<string>(Split(path).Reverse());
        var resolved = new List<string>();
        var links = 0;

        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }

                continue;
            }

            var candidate = Join(root, resolved.Append(part));
            var status = FileMetadata.TryGetStatus(candidate);
            if (status is not { Kind: FileKind.SymbolicLink })
            {
                resolved.Add(part);
                if (status is null)
                {
                    // The rest does not exist: nothing further can be a link.
                    while (pending.Count > 0)
                    {
                        var rest = pending.Pop();
                        if (rest == "..")
                        {
                            resolved.RemoveAt(resolved.Count - 1);
                        }
                        else
                        {
                            resolved.Add(rest);
                        }
                    }
                }

                continue;
            }

            if (refuseLinks)
            {
                throw new UpdateException($"'{UntrustedText.Escape(candidate)}' is a symbolic link, which is not allowed on a boot partition.");
            }

            if (++links > MaxLinks)
            {
                throw new UpdateException($"Too many levels of symbolic links resolving '{UntrustedText.Escape(path)}' under '{UntrustedText.Escape(root)}'.");
            }

            var target = new FileInfo(candidate).LinkTarget!;
            if (target.StartsWith('/'))
            {
                resolved.Clear();
            }

            foreach (var p in Split(target).Reverse())
            {
                pending.Push(p);
            }
        }

        return rooted || resolved.Count > 0 ? Join(root, resolved) : "/";
    }

    private static IEnumerable<string> Split(string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");

    private static string Join(string root, IEnumerable<string> parts)
    {
        var joined = string.Join('/', parts);
        return root == "/" ? "/" + joined : joined.Length == 0 ? root : root + "/" + joined;
    }
}
