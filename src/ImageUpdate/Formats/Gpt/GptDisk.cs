using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using ImageUpdate.Foundation.Native;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Formats.Gpt;

/// <summary>
/// Reads and writes the GPT of a disk image file, a block device or any seekable stream.
/// <para>
/// Reading never writes. It takes the primary copy when it is valid (header CRC, fields, entry array CRC,
/// entries), else the backup; <see cref="WriteTable"/> always writes both copies whole, so one write
/// repairs a damaged copy. Every LBA is checked against the device before it is used.
/// </para>
/// <para>
/// Files and devices are opened with open(2) directly rather than through FileStream, which would take
/// its own non-blocking advisory lock; instead reads hold flock(LOCK_SH) and changes flock(LOCK_EX) on the
/// whole device, the lock systemd-sysupdate takes in patch_partition() and udev honours before probing.
/// </para>
/// </summary>
public sealed class GptDisk : IDisposable
{
    /// <summary>Sector sizes tried, in order, when an image file does not say (no ioctl to ask).</summary>
    public static readonly ImmutableArray<int> ProbedSectorSizes = [512, 4096];

    private readonly SafeFileHandle? _handle;
    private readonly Stream? _stream;
    private readonly bool _ownsStream;

    private GptDisk(string name, SafeFileHandle? handle, Stream? stream, bool ownsStream, bool isBlockDevice, bool writable, ulong sizeInBytes, int sectorSize)
    {
        Name = name;
        _handle = handle;
        _stream = stream;
        _ownsStream = ownsStream;
        IsBlockDevice = isBlockDevice;
        IsWritable = writable;
        SectorSize = sectorSize;
        SectorCount = sizeInBytes / (ulong)sectorSize;
    }

    /// <summary>The path or name used in messages.</summary>
    public string Name { get; }

    public int SectorSize { get; }

    /// <summary>Whole logical blocks on the device; a partial block at the end of an image is ignored.</summary>
    public ulong SectorCount { get; }

    public ulong LastLba => SectorCount - 1;

    public bool IsBlockDevice { get; }

    public bool IsWritable { get; }

    /// <summary>
    /// Opens a disk image file or a whole-disk block device. The sector size is, in order: the
    /// override; for a block device the kernel's logical block size (BLKSSZGET); for a file the first of
    /// 512 and 4096 at whose LBA 1 (or last LBA) an "EFI PART" signature sits, else 512.
    /// </summary>
    public static GptDisk Open(string path, bool writable = false, int? sectorSize = null)
    {
        var flags = (writable ? Libc.Gpt.OpenReadWrite : Libc.Gpt.OpenReadOnly) | Libc.Gpt.OpenCloseOnExec;
        var fd = Libc.Gpt.Open(path, flags);
        if (fd < 0)
        {
            throw Libc.Error("Cannot open", path);
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            ulong size;
            var isBlockDevice = Libc.Gpt.IoctlUInt64(fd, Libc.Gpt.BlkGetSize64, out size) == 0;
            if (!isBlockDevice)
            {
                size = (ulong)RandomAccess.GetLength(handle);
            }

            int chosen;
            if (sectorSize is { } given)
            {
                chosen = CheckSectorSize(given);
            }
            else if (isBlockDevice)
            {
                if (Libc.Gpt.IoctlInt(fd, Libc.Gpt.BlkSszGet, out var logical) != 0)
                {
                    throw Libc.Error("Cannot get the logical sector size (BLKSSZGET) of", path);
                }

                chosen = CheckSectorSize(logical);
            }
            else
            {
                chosen = DetectSectorSize(size, (offset, buffer) => ReadFully(handle, offset, buffer));
            }

            return new GptDisk(path, handle, null, false, isBlockDevice, writable, size, chosen);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>A GPT on a seekable stream (tests, in-memory images); no locking, no kernel notification.</summary>
    public static GptDisk FromStream(Stream stream, string name, int? sectorSize = null, bool leaveOpen = true)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek || !stream.CanRead)
        {
            throw new ArgumentException("The stream must be readable and seekable.", nameof(stream));
        }

        var size = (ulong)stream.Length;
        var chosen = sectorSize is { } given
            ? CheckSectorSize(given)
            : DetectSectorSize(size, (offset, buffer) => ReadFully(stream, offset, buffer));
        return new GptDisk(name, null, stream, !leaveOpen, isBlockDevice: false, stream.CanWrite, size, chosen);
    }

    /// <summary>Reads the table of a file or device in one call.</summary>
    public static PartitionTable ReadTable(string path, int? sectorSize = null)
    {
        using var disk = Open(path, writable: false, sectorSize);
        return disk.ReadTable();
    }

    public PartitionTable ReadTable() => Read().Table;

    /// <summary>Reads the table under a shared lock and says which copies were damaged.</summary>
    public GptReadResult Read()
    {
        using (Lock(Libc.Gpt.LockShared))
        {
            return ReadUnlocked();
        }
    }

    /// <summary>Writes <paramref name="table"/> as both GPT copies under an exclusive lock, then tells the kernel.</summary>
    public void WriteTable(PartitionTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        EnsureWritable();
        using (Lock(Libc.Gpt.LockExclusive))
        {
            WriteUnlocked(table);
        }

        RereadPartitionTable();
    }

    /// <summary>
    /// Reads, changes and writes the table while holding the exclusive lock throughout, so no other
    /// writer (systemd-sysupdate, sfdisk, another image-update) can change it in between. Nothing is
    /// written when the change returns an equal table and both copies were valid.
    /// </summary>
    public PartitionTable Update(Func<PartitionTable, PartitionTable> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        EnsureWritable();
        PartitionTable updated;
        bool written;
        using (Lock(Libc.Gpt.LockExclusive))
        {
            var current = ReadUnlocked();
            updated = change(current.Table);
            written = !current.BothCopiesValid || !updated.Equals(current.Table);
            if (written)
            {
                WriteUnlocked(updated);
            }
        }

        if (written)
        {
            RereadPartitionTable();
        }

        return updated;
    }

    public void Dispose()
    {
        _handle?.Dispose();
        if (_ownsStream)
        {
            _stream?.Dispose();
        }
    }

    private static int CheckSectorSize(int size) =>
        size is >= 512 and <= 4096 && (size & (size - 1)) == 0
            ? size
            : throw new ArgumentOutOfRangeException(nameof(size), size, "The logical sector size must be a power of two from 512 to 4096.");

    private static int DetectSectorSize(ulong size, Func<long, byte[], bool> readAt)
    {
        var signature = new byte[sizeof(ulong)];
        bool HasSignatureAt(ulong offset) =>
            offset + (ulong)signature.Length <= size
            && readAt((long)offset, signature)
            && BinaryPrimitives.ReadUInt64LittleEndian(signature) == GptHeader.SignatureValue;

        // Primary header at LBA 1 first, for every size; a 512-byte disk has entries, not a header, at
        // byte 4096, so the order cannot confuse the two. Then the backup at the last LBA.
        foreach (var candidate in ProbedSectorSizes)
        {
            if (HasSignatureAt((ulong)candidate))
            {
                return candidate;
            }
        }

        foreach (var candidate in ProbedSectorSizes)
        {
            var sectors = size / (ulong)candidate;
            if (sectors >= 3 && HasSignatureAt((sectors - 1) * (ulong)candidate))
            {
                return candidate;
            }
        }

        return ProbedSectorSizes[0];
    }

    private static bool ReadFully(SafeFileHandle handle, long offset, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var read = RandomAccess.Read(handle, buffer, offset);
            if (read <= 0)
            {
                return false;
            }

            buffer = buffer[read..];
            offset += read;
        }

        return true;
    }

    private static bool ReadFully(Stream stream, long offset, Span<byte> buffer)
    {
        stream.Position = offset;
        return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) == buffer.Length;
    }

    private GptReadResult ReadUnlocked()
    {
        // LBA 0 (MBR), LBA 1 (primary header), the last LBA (backup header) at the very least.
        if (SectorCount < 3)
        {
            throw new PartitionTableException(Name, $"the device has {SectorCount} blocks of {SectorSize} bytes, too few to hold a GPT");
        }

        var block = new byte[SectorSize];
        ReadBlocks(0, block, "the protective MBR");
        var mbr = ProtectiveMbr.Read(block, Name);

        var primary = TryReadCopy(1, isPrimary: true);

        // UEFI 2.10 §5.3.2: the backup is found through the primary's AlternateLBA, or at the last LBA
        // when the primary cannot be trusted.
        var backupLba = primary.Header?.AlternateLba ?? LastLba;
        var backup = TryReadCopy(backupLba, isPrimary: false);

        if (primary.Table is { } fromPrimary)
        {
            var backupProblem = backup.Problem;
            if (backup.Table is { } fromBackup && !fromBackup.Equals(fromPrimary with { PrimaryEntryLba = fromBackup.PrimaryEntryLba }))
            {
                backupProblem = "the backup header or entries differ from the primary";
            }
            else if (backupProblem is null && backupLba != LastLba)
            {
                backupProblem = $"the backup header is at LBA {backupLba}, not at the last LBA {LastLba}";
            }

            return new GptReadResult(fromPrimary, mbr, null, backupProblem);
        }

        if (backup.Table is { } onlyBackup)
        {
            return new GptReadResult(onlyBackup, mbr, primary.Problem, null);
        }

        throw new PartitionTableException(Name, $"neither GPT copy is valid: {primary.Problem}; {backup.Problem}");
    }

    private CopyResult TryReadCopy(ulong lba, bool isPrimary)
    {
        var what = isPrimary ? "the primary header" : "the backup header";
        try
        {
            var block = new byte[SectorSize];
            if (lba > LastLba)
            {
                throw new PartitionTableException(Name, $"{what} would be at LBA {lba}, beyond the last LBA {LastLba}");
            }

            ReadBlocks(lba, block, what);
            var header = GptHeader.Read(block, Name, what);
            ValidateHeader(header, lba, isPrimary, what);

            var arrayBytes = (int)(header.NumberOfPartitionEntries * header.SizeOfPartitionEntry);
            var array = new byte[arrayBytes];
            var arrayName = isPrimary ? "the primary entry array" : "the backup entry array";
            ReadBlocks(header.PartitionEntryLba, array, arrayName);
            var crc = Crc32.Compute(array);
            if (crc != header.PartitionEntryArrayCrc32)
            {
                throw new PartitionTableException(Name, $"{arrayName} sums to CRC32 0x{crc:X8} but {what} PartitionEntryArrayCRC32 is 0x{header.PartitionEntryArrayCrc32:X8}");
            }

            var entrySize = (int)header.SizeOfPartitionEntry;
            var entries = ImmutableArray.CreateBuilder<PartitionEntry>((int)header.NumberOfPartitionEntries);
            for (var i = 0; i < header.NumberOfPartitionEntries; i++)
            {
                entries.Add(PartitionEntry.Read(array.AsSpan(i * entrySize, entrySize), Name));
            }

            var primaryEntryLba = isPrimary ? header.PartitionEntryLba : PartitionTable.DefaultPrimaryEntryLba;
            var table = PartitionTable.FromCopy(header, entries.MoveToImmutable(), SectorSize, primaryEntryLba);
            table.ValidateEntries(Name, isPrimary ? "the primary" : "the backup");
            return new CopyResult(header, table, null);
        }
        catch (PartitionTableException e)
        {
            return new CopyResult(null, null, e.Problem);
        }
    }

    /// <summary>
    /// UEFI 2.10 §5.3.2's checks that need the device: where the header says it is, where the other copy
    /// is, that the usable area and the entry array lie inside the device, apart from each other and from
    /// LBA 0 and both headers, and that the entry size and count are sane before anything is allocated.
    /// </summary>
    private void ValidateHeader(GptHeader header, ulong expectedLba, bool isPrimary, string what)
    {
        if (header.MyLba != expectedLba)
        {
            throw new PartitionTableException(Name, $"{what} MyLBA is {header.MyLba}, expected {expectedLba}");
        }

        if (isPrimary)
        {
            if (header.AlternateLba <= header.MyLba || header.AlternateLba > LastLba)
            {
                throw new PartitionTableException(Name, $"{what} AlternateLBA is {header.AlternateLba}, expected an LBA after {header.MyLba} up to the last LBA {LastLba}");
            }
        }
        else if (header.AlternateLba != 1)
        {
            throw new PartitionTableException(Name, $"{what} AlternateLBA is {header.AlternateLba}, expected 1 (the primary header)");
        }

        if (header.FirstUsableLba > header.LastUsableLba)
        {
            throw new PartitionTableException(Name, $"{what} FirstUsableLBA {header.FirstUsableLba} is after LastUsableLBA {header.LastUsableLba}");
        }

        if (header.LastUsableLba > LastLba)
        {
            throw new PartitionTableException(Name, $"{what} LastUsableLBA is {header.LastUsableLba}, beyond the last LBA {LastLba}");
        }

        foreach (var (lba, name) in new[] { (0UL, "the protective MBR"), (1UL, "the primary header"), (header.MyLba, "MyLBA"), (header.AlternateLba, "AlternateLBA") })
        {
            if (lba >= header.FirstUsableLba && lba <= header.LastUsableLba)
            {
                throw new PartitionTableException(Name, $"{what} usable area LBA {header.FirstUsableLba}-{header.LastUsableLba} contains {name} (LBA {lba})");
            }
        }

        var entrySize = header.SizeOfPartitionEntry;
        if (entrySize < PartitionEntry.MinimumSize || entrySize % PartitionEntry.MinimumSize != 0 || entrySize > PartitionTable.MaxEntryArrayBytes)
        {
            throw new PartitionTableException(Name, $"{what} SizeOfPartitionEntry is {entrySize}, expected a multiple of {PartitionEntry.MinimumSize}");
        }

        var count = header.NumberOfPartitionEntries;
        var arrayBytes = (ulong)count * entrySize;
        if (count == 0 || arrayBytes > PartitionTable.MaxEntryArrayBytes)
        {
            throw new PartitionTableException(Name, $"{what} NumberOfPartitionEntries is {count}, expected 1 to {PartitionTable.MaxEntryArrayBytes / entrySize} entries of {entrySize} bytes");
        }

        var first = header.PartitionEntryLba;
        var sectors = (arrayBytes + (ulong)SectorSize - 1) / (ulong)SectorSize;
        if (first > LastLba || sectors > LastLba - first + 1)
        {
            throw new PartitionTableException(Name, $"{what} PartitionEntryLBA is {first}, so its {sectors}-block entry array does not fit before the last LBA {LastLba}");
        }

        var last = first + sectors - 1;
        foreach (var (lba, name) in new[] { (0UL, "the protective MBR"), (1UL, "the primary header"), (header.MyLba, "the header itself"), (header.AlternateLba, "the other header") })
        {
            if (lba >= first && lba <= last)
            {
                throw new PartitionTableException(Name, $"{what} entry array at LBA {first}-{last} overlaps {name} (LBA {lba})");
            }
        }

        if (first <= header.LastUsableLba && last >= header.FirstUsableLba)
        {
            throw new PartitionTableException(Name, $"{what} entry array at LBA {first}-{last} overlaps the usable area LBA {header.FirstUsableLba}-{header.LastUsableLba}");
        }
    }

    /// <summary>
    /// Writes both copies. Order, for crash safety: the backup entry array and header first, synced; then
    /// the primary entry array and header, synced. Every reader (firmware, the kernel, libfdisk, us) trusts
    /// the primary when it is valid, so until a complete new backup is on disk the old primary stays
    /// untouched and valid; once the primary array is being rewritten, its old header no longer matches the
    /// array CRC, readers fall back to the new backup, and the primary header (one block, written last) is
    /// the commit point. A crash between any two writes thus leaves one valid copy, old or new, never a mix.
    /// </summary>
    private void WriteUnlocked(PartitionTable table)
    {
        if (table.SectorSize != SectorSize)
        {
            throw new PartitionTableException(Name, $"the table counts {table.SectorSize}-byte sectors but the device has {SectorSize}-byte sectors");
        }

        var entrySize = table.EntrySize;
        if (entrySize < PartitionEntry.MinimumSize || entrySize % PartitionEntry.MinimumSize != 0
            || table.Entries.IsDefaultOrEmpty || (ulong)table.Entries.Length * entrySize > PartitionTable.MaxEntryArrayBytes)
        {
            throw new PartitionTableException(Name, $"the table has {(table.Entries.IsDefault ? 0 : table.Entries.Length)} entries of {entrySize} bytes, expected 1 or more entries of a multiple of {PartitionEntry.MinimumSize} bytes, at most {PartitionTable.MaxEntryArrayBytes} bytes in all");
        }

        if (GptHeader.MinimumSize + table.HeaderExtra.Length > SectorSize)
        {
            throw new PartitionTableException(Name, $"the header would be {GptHeader.MinimumSize + table.HeaderExtra.Length} bytes, more than a {SectorSize}-byte sector");
        }

        for (var i = 0; i < table.Entries.Length; i++)
        {
            var entry = table.Entries[i];
            if (!PartitionEntry.IsValidLabel(entry.Name))
            {
                throw new PartitionTableException(Name, $"entry {i + 1} label '{Foundation.Errors.UntrustedText.Escape(entry.Name)}' is {entry.Name.Length} UTF-16 code units, more than {PartitionEntry.MaxNameLength} or with a NUL");
            }

            if (entry.Extra.Length > entrySize - PartitionEntry.MinimumSize)
            {
                throw new PartitionTableException(Name, $"entry {i + 1} carries {entry.Extra.Length} extra bytes, more than the {entrySize - PartitionEntry.MinimumSize} its {entrySize}-byte slot holds");
            }
        }

        var sectors = table.EntryArraySectors;
        if (sectors + 2 > LastLba)
        {
            throw new PartitionTableException(Name, $"the {sectors}-block entry array does not fit on a device of {SectorCount} blocks");
        }

        var array = new byte[checked((int)sectors * SectorSize)];
        var entryBytes = table.EntryArrayToBytes();
        entryBytes.CopyTo(array, 0);
        var arrayCrc = Crc32.Compute(entryBytes);

        // UEFI 2.10 §5.3.2: the backup header is at the last LBA with MyLBA and AlternateLBA swapped,
        // and its entry array directly before it.
        var backupEntryLba = LastLba - sectors;
        var primaryHeader = table.HeaderFor(myLba: 1, alternateLba: LastLba, entryLba: table.PrimaryEntryLba, arrayCrc);
        var backupHeader = table.HeaderFor(myLba: LastLba, alternateLba: 1, entryLba: backupEntryLba, arrayCrc);

        var primaryBlock = new byte[SectorSize];
        primaryHeader.WriteTo(primaryBlock);
        var backupBlock = new byte[SectorSize];
        backupHeader.WriteTo(backupBlock);

        // Never write what we would refuse to read: run the reader's checks over the bytes just built.
        ValidateHeader(GptHeader.Read(primaryBlock, Name, "the new primary header"), 1, isPrimary: true, "the new primary header");
        ValidateHeader(GptHeader.Read(backupBlock, Name, "the new backup header"), LastLba, isPrimary: false, "the new backup header");
        table.ValidateEntries(Name, "the new");

        var mbrBlock = new byte[SectorSize];
        ReadBlocks(0, mbrBlock, "the protective MBR");
        var mbrValid = true;
        try
        {
            ProtectiveMbr.Read(mbrBlock, Name);
        }
        catch (PartitionTableException)
        {
            mbrValid = false;
        }

        WriteBlocks(backupEntryLba, array);
        WriteBlocks(LastLba, backupBlock);
        Sync();
        WriteBlocks(table.PrimaryEntryLba, array);
        WriteBlocks(1, primaryBlock);
        Sync();

        // A table read from this disk implies a valid protective MBR, which stays as it is (boot code,
        // disk signature, hybrid records). Only a missing one is written, last: without it no other
        // tool sees a GPT at all, so it adds no intermediate state.
        if (!mbrValid)
        {
            ProtectiveMbr.Create(LastLba).WriteTo(mbrBlock.AsSpan(0, ProtectiveMbr.Size));
            WriteBlocks(0, mbrBlock);
            Sync();
        }
    }

    private void ReadBlocks(ulong lba, Span<byte> buffer, string what)
    {
        var offset = lba * (ulong)SectorSize;
        var ok = offset <= long.MaxValue - (ulong)buffer.Length
            && (_handle is not null ? ReadFully(_handle, (long)offset, buffer) : ReadFully(_stream!, (long)offset, buffer));
        if (!ok)
        {
            throw new PartitionTableException(Name, $"{what} at LBA {lba} ({buffer.Length} bytes) is cut off by the end of the device");
        }
    }

    private void WriteBlocks(ulong lba, ReadOnlySpan<byte> data)
    {
        var offset = checked((long)(lba * (ulong)SectorSize));
        if (_handle is not null)
        {
            RandomAccess.Write(_handle, data, offset);
        }
        else
        {
            _stream!.Position = offset;
            _stream.Write(data);
        }
    }

    private void Sync()
    {
        if (_handle is not null)
        {
            if (Libc.Gpt.Fsync(FileDescriptor) != 0)
            {
                throw Libc.Error("Cannot fsync", Name);
            }
        }
        else if (_stream is FileStream file)
        {
            file.Flush(flushToDisk: true);
        }
        else
        {
            _stream!.Flush();
        }
    }

    private int FileDescriptor => (int)_handle!.DangerousGetHandle();

    private void EnsureWritable()
    {
        if (!IsWritable)
        {
            throw new InvalidOperationException($"'{Name}' was opened read-only.");
        }
    }

    private LockScope Lock(int operation)
    {
        if (_handle is null)
        {
            return new LockScope(null);
        }

        while (Libc.Gpt.Flock(FileDescriptor, operation) != 0)
        {
            if (Marshal.GetLastPInvokeError() != Libc.Gpt.ErrnoInterrupted)
            {
                throw Libc.Error("Cannot lock", Name);
            }
        }

        return new LockScope(this);
    }

    /// <summary>
    /// After a change on a block device, asks the kernel to re-read the table (BLKRRPART), which also
    /// makes udev refresh PARTNAME/PARTUUID. The kernel refuses with EBUSY while a partition of the disk
    /// is in use (mounted root, say) and with EINVAL on a loop device without partition scanning (the
    /// default, and the only kind this project's machines offer): neither is an error, because the table on
    /// disk is already complete and sysupdate changes only names, types, UUIDs and flags, never the
    /// extents the kernel's partition devices are built from (so BLKPG has nothing to move).
    /// </summary>
    private void RereadPartitionTable()
    {
        if (!IsBlockDevice || _handle is null)
        {
            return;
        }

        if (Libc.Gpt.IoctlNone(FileDescriptor, Libc.Gpt.BlkRrPart) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is not (Libc.Gpt.ErrnoBusy or Libc.Gpt.ErrnoInvalid))
            {
                throw Libc.Error("Cannot make the kernel re-read the partition table (BLKRRPART) of", Name);
            }
        }
    }

    private sealed record CopyResult(GptHeader? Header, PartitionTable? Table, string? Problem);

    private readonly struct LockScope(GptDisk? disk) : IDisposable
    {
        public void Dispose()
        {
            if (disk is not null)
            {
                _ = Libc.Gpt.Flock(disk.FileDescriptor, Libc.Gpt.LockUnlock);
            }
        }
    }
}
