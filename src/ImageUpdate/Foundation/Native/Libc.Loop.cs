using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Foundation.Native;

/// <summary>The loop-device view: which file a loop device reads and writes through.</summary>
internal static partial class Libc
{
    internal static partial class Loop
    {
        /// <summary>LO_FLAGS_DIRECT_IO: the loop device reads and writes its file with O_DIRECT, bypassing the page cache.</summary>
        internal const uint FlagDirectIo = 16;

        // LOOP_GET_STATUS64 (linux/loop.h): _IO(0x4C, 5), filling a struct loop_info64.
        private const nuint GetStatus64Request = 0x4C05;

        /// <summary>
        /// LOOP_GET_STATUS64 of a loop device (or a partition of one): the device and inode number of its
        /// file (dev_t as the kernel encodes it, major in bits 8-19, minor in bits 0-7 and 20-31) and its
        /// flags. Returns errno, 0 on success (ENOTTY or EINVAL: not a loop device; ENXIO: no file bound).
        /// </summary>
        internal static unsafe int TryGetStatus(SafeFileHandle device, out ulong fileDevice, out ulong fileInode, out uint flags)
        {
            LoopInfo64 info;
            var rc = IoctlRaw(device, GetStatus64Request, &info);
            fileDevice = info.Device;
            fileInode = info.Inode;
            flags = info.Flags;
            return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        }

        /// <summary>fstat(2) of an open fd through statx(fd, "", AT_EMPTY_PATH): its type, inode, the device holding it and, for a device node, its own number. Returns errno, 0 on success.</summary>
        internal static unsafe int TryStat(SafeFileHandle handle, out StatxBuffer buffer)
        {
            byte empty = 0;
            StatxBuffer result;
            var rc = StatxRaw(handle, &empty, Staging.AtEmptyPath, StatxBasicStats, &result);
            buffer = result;
            return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        }

        /// <summary>struct loop_info64 (linux/loop.h, 232 bytes); only the fields read here are named.</summary>
        [StructLayout(LayoutKind.Explicit, Size = 232)]
        private struct LoopInfo64
        {
            [FieldOffset(0)] internal ulong Device;
            [FieldOffset(8)] internal ulong Inode;
            [FieldOffset(52)] internal uint Flags;
        }
    }
}
