using System.Runtime.InteropServices;

namespace ImageUpdate.Native;

/// <summary>What partition targets need beyond the GPT code: stat that follows symlinks (Path= may be one).</summary>
internal static partial class Libc
{
    /// <summary>Nested so the names cannot collide with other concerns' partial files of <see cref="Libc"/>.</summary>
    internal static class Partitions
    {
        /// <summary>stat semantics (follows symlinks). Returns errno, 0 on success.</summary>
        internal static unsafe int TryStat(string path, out StatxBuffer buffer)
        {
            StatxBuffer result;
            var rc = StatxRaw(AtFdCwd, path, 0, StatxBasicStats, &result);
            buffer = result;
            return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }
}
