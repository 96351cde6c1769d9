using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Tests.Platform.FileSystem;

namespace ImageUpdate.Tests.Platform.Archives;

/// <summary>A small OS-like tree exercising every kind of entry and every bit of metadata that is preserved.</summary>
public static class SampleTree
{
    public static void Create(string root)
    {
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(Path.Combine(root, "usr", "bin"));
        Directory.CreateDirectory(Path.Combine(root, "usr", "lib", "empty"));
        Directory.CreateDirectory(Path.Combine(root, "tmp"));
        Directory.CreateDirectory(Path.Combine(root, "readonly"));

        var big = new byte[3 * 1024 * 1024 + 7];
        new Random(42).NextBytes(big);
        File.WriteAllBytes(Path.Combine(root, "usr", "lib", "big.bin"), big);
        File.WriteAllText(Path.Combine(root, "usr", "bin", "tool"), "#!/bin/sh\necho tool\n");
        File.WriteAllText(Path.Combine(root, "usr", "bin", "su"), "setuid");
        File.WriteAllText(Path.Combine(root, "readonly", "inside"), "in a 0555 directory");
        File.WriteAllText(Path.Combine(root, "empty-file"), "");
        Tool.Run("ln", Path.Combine(root, "usr", "bin", "tool"), Path.Combine(root, "usr", "bin", "tool-hardlink"));
        File.CreateSymbolicLink(Path.Combine(root, "usr", "bin", "relative-link"), "tool");
        File.CreateSymbolicLink(Path.Combine(root, "absolute-link"), "/etc/os-release");
        File.CreateSymbolicLink(Path.Combine(root, "dangling"), "../nowhere");
        File.CreateSymbolicLink(Path.Combine(root, "lib"), "usr/lib");

        if (Environment.IsPrivilegedProcess)
        {
            FileMetadata.SetOwner(Path.Combine(root, "usr", "bin", "su"), 0, 0);
            FileMetadata.SetOwner(Path.Combine(root, "usr", "bin", "tool"), 1234, 5678);
            FileMetadata.SetOwner(Path.Combine(root, "usr", "bin", "relative-link"), 4321, 8765);
            FileMetadata.SetOwner(Path.Combine(root, "tmp"), 42, 43);
        }

        FileMetadata.SetMode(Path.Combine(root, "usr", "bin", "su"), (UnixFileMode)Convert.ToInt32("4755", 8));
        FileMetadata.SetMode(Path.Combine(root, "usr", "bin", "tool"), (UnixFileMode)Convert.ToInt32("2751", 8));
        FileMetadata.SetMode(Path.Combine(root, "tmp"), (UnixFileMode)Convert.ToInt32("1777", 8));
        FileMetadata.SetMode(Path.Combine(root, "empty-file"), (UnixFileMode)Convert.ToInt32("0600", 8));

        // Distinct times with sub-second parts on every entry, directories last (as their children's
        // creation changed them), the read-only directory's mode after its content.
        var time = 1_600_000_000_000_000L;
        foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Append(root).OrderByDescending(e => e.Length))
        {
            time += 1_234_567;
            FileMetadata.SetModificationTime(entry, time);
        }

        FileMetadata.SetMode(Path.Combine(root, "readonly"), (UnixFileMode)Convert.ToInt32("0555", 8));
    }
}
