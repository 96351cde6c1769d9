namespace ImageUpdate.Platform.Btrfs;

/// <summary>
/// The BTRFS operations image-update needs, behind one seam so a test can substitute them and a host
/// without the ioctls could use btrfs-progs. Paths are trusted (the host chose them); the last
/// component is never followed when it is a symlink. Failures throw <see cref="BtrfsException"/>
/// naming the path.
/// </summary>
public interface IBtrfs
{
    /// <summary>True when the entry at <paramref name="path"/> (not followed) lives on a BTRFS file system; throws if it does not exist.</summary>
    bool IsOnBtrfs(string path);

    /// <summary>True when <paramref name="path"/> is the root of a subvolume: a directory, not a symlink, on BTRFS, with inode 256. False when it is missing.</summary>
    bool IsSubvolume(string path);

    /// <summary>Creates an empty subvolume at <paramref name="path"/> (which must not exist) with mode 0700.</summary>
    void CreateSubvolume(string path);

    /// <summary>Takes a read-only snapshot of the subvolume <paramref name="source"/> at <paramref name="destination"/> (which must not exist).</summary>
    void SnapshotReadOnly(string source, string destination);

    /// <summary>The subvolume's BTRFS_SUBVOL_RDONLY flag (what `btrfs property get -ts PATH ro` prints); throws if it is not a subvolume.</summary>
    bool IsReadOnly(string path);

    /// <summary>Sets or clears the subvolume's read-only flag.</summary>
    void SetReadOnly(string path, bool readOnly);

    /// <summary>Deletes the subvolume at <paramref name="path"/>, read-only or not, with whatever it contains (but not nested subvolumes).</summary>
    void DeleteSubvolume(string path);
}
