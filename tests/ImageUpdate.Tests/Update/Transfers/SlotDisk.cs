using ImageUpdate.Formats.Gpt;
using ImageUpdate.Formats.Versions;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Update.Transfers;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Tests.Update.Transfers;

/// <summary>
/// A disk image made by sfdisk for the partition-target tests (no root needed), with the definitions
/// and target the tests drive. Partition sizes are in 512-byte sectors.
/// </summary>
internal sealed class SlotDisk : IDisposable
{
    public const string Root = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709";     // root-x86-64
    public const string Verity = "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5";   // root-x86-64-verity
    public const string Esp = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";

    private readonly ImageUpdate.Tests.Support.TempDirectory _dir = new("image-update-slots-");

    public SlotDisk(string partitions, long bytes = 16 << 20)
    {
        Path = GptTools.NewImage(_dir.Path, "disk.raw", bytes);
        GptTools.Sfdisk(Path, "label: gpt\nunit: sectors\nsector-size: 512\n\n" + partitions);
    }

    public string Path { get; }

    public string Directory => _dir.Path;

    public static Guid RootType => new(Root);

    public static TargetDefinition Definition(string pattern = "part1-@v", string type = "root-x86-64", bool removeTemporary = true,
        Guid? uuid = null, ulong? flags = null, bool? noAuto = null, bool? growFileSystem = null, bool? readOnly = null, string path = "/unused")
    {
        Assert.True(PartitionType.TryParse(type, out var guid));
        return new TargetDefinition(
            ResourceType.Partition, path, PathRelativeTo.Root, PatternList.Parse([pattern]), guid,
            uuid, flags, noAuto, growFileSystem, readOnly, null, null, null, int.MaxValue, removeTemporary, null);
    }

    public PartitionTarget Target(TargetDefinition? definition = null) =>
        new(definition ?? Definition(), Path, rooted: false, sync: true, NullLogger.Instance);

    public SfdiskTable Table() => GptTools.SfdiskJson(Path);

    public byte[] ReadBytes(long offset, int count)
    {
        using var file = File.OpenRead(Path);
        file.Position = offset;
        var buffer = new byte[count];
        file.ReadExactly(buffer);
        return buffer;
    }

    public void Fill(long offset, int count, byte value)
    {
        using var file = new FileStream(Path, FileMode.Open, FileAccess.Write);
        file.Position = offset;
        file.Write(Enumerable.Repeat(value, count).ToArray());
    }

    public string WriteSource(string name, byte[] bytes)
    {
        var path = System.IO.Path.Combine(_dir.Path, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose() => _dir.Dispose();
}
