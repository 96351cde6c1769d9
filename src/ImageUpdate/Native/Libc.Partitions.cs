using System.Runtime.InteropServices;

namespace ImageUpdate.Native;

/// <summary>What partition targets need beyond the GPT code: stat that follows symlinks (Path= may be one), O_DIRECT.</summary>
internal static partial class Libc
{
    /// <summary>Nested so the names cannot collide with other concerns' partial files of <see cref="Libc"/>.</summary>
    internal static class Partitions
    {
        /// <summary>O_DIRECT, whose value differs between architectures (asm-generic, arm, powerpc).</summary>
        internal static int OpenDirect => RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.Arm or Architecture.Arm64 => 0x10000, // 0200000
            Architecture.Ppc64le => 0x20000,                   // 0400000
            _ => 0x4000,                                       // 040000: x86, x86-64, riscv64, s390x, loongarch64
        };

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
