using System.Runtime.InteropServices;

namespace ImageUpdate.Foundation.Native;

/// <summary>
/// The BTRFS ioctl interface image-update uses (linux/btrfs.h): its constants, request numbers and
/// argument structures; the calls themselves go through Libc.Ioctl.cs (ioctl), Libc.Stat.cs (fstatfs for
/// the file system's magic number) and Libc.Files.cs (fchmod). Requests are computed from _IOW/_IOR with the structure sizes below: both argument
/// structures are exactly 4096 bytes, so the numbers are the same on x86-64 and arm64.
/// </summary>
internal static partial class Libc
{
    /// <summary>Nested so the names cannot collide with the rest of <see cref="Libc"/>.</summary>
    internal static partial class Btrfs
    {
        /// <summary>BTRFS_SUPER_MAGIC, statfs(2)'s f_type for BTRFS.</summary>
        internal const uint SuperMagic = 0x9123683E;

        /// <summary>BTRFS_FIRST_FREE_OBJECTID: every subvolume's root directory has this inode number.</summary>
        internal const ulong SubvolumeRootInode = 256;

        /// <summary>BTRFS_SUBVOL_RDONLY, in the flags of SUBVOL_GETFLAGS/SETFLAGS and SNAP_CREATE_V2.</summary>
        internal const ulong SubvolumeReadOnly = 1UL << 1;

        /// <summary>BTRFS_PATH_NAME_MAX and BTRFS_SUBVOL_NAME_MAX: the name fields hold this many bytes plus a NUL.</summary>
        internal const int PathNameMax = 4087;
        internal const int SubvolumeNameMax = 4039;

        internal const int ErrnoNotEmpty = ENotEmpty;
        internal const int ErrnoCrossDevice = 18; // EXDEV
        internal const int ErrnoNotTty = ENotTty;
        internal const int ErrnoNotSupported = ENotSupported;

        private const uint IocWrite = 1;
        private const uint IocRead = 2;
        private const uint Magic = 0x94; // BTRFS_IOCTL_MAGIC

        internal static readonly nuint SubvolumeCreate = Ioc(IocWrite, 14, VolumeArgs.Size);          // BTRFS_IOC_SUBVOL_CREATE
        internal static readonly nuint SnapshotDestroy = Ioc(IocWrite, 15, VolumeArgs.Size);          // BTRFS_IOC_SNAP_DESTROY
        internal static readonly nuint SnapshotCreateV2 = Ioc(IocWrite, 23, VolumeArgsV2.Size);       // BTRFS_IOC_SNAP_CREATE_V2
        internal static readonly nuint SubvolumeGetFlags = Ioc(IocRead, 25, sizeof(ulong));           // BTRFS_IOC_SUBVOL_GETFLAGS
        internal static readonly nuint SubvolumeSetFlags = Ioc(IocWrite, 26, sizeof(ulong));          // BTRFS_IOC_SUBVOL_SETFLAGS

        // asm-generic/ioctl.h: dir << 30 | size << 16 | type << 8 | nr (x86 and arm use this layout).
        private static nuint Ioc(uint direction, uint number, int size) =>
            (nuint)((direction << 30) | ((uint)size << 16) | (Magic << 8) | number);

        /// <summary>struct btrfs_ioctl_vol_args: __s64 fd; char name[BTRFS_PATH_NAME_MAX + 1].</summary>
        [StructLayout(LayoutKind.Explicit, Size = Size)]
        internal unsafe struct VolumeArgs
        {
            internal const int Size = 4096;

            [FieldOffset(0)] internal long Fd;
            [FieldOffset(8)] internal fixed byte Name[PathNameMax + 1];
        }

        /// <summary>struct btrfs_ioctl_vol_args_v2: fd, transid, flags, a 32-byte union, then name[BTRFS_SUBVOL_NAME_MAX + 1].</summary>
        [StructLayout(LayoutKind.Explicit, Size = Size)]
        internal unsafe struct VolumeArgsV2
        {
            internal const int Size = 4096;

            [FieldOffset(0)] internal long Fd;
            [FieldOffset(8)] internal ulong TransactionId;
            [FieldOffset(16)] internal ulong Flags;
            [FieldOffset(56)] internal fixed byte Name[SubvolumeNameMax + 1];
        }
    }
}
