using System.Globalization;
using System.Security.Cryptography;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Update.Imaging;

/// <summary>Looking into built images with the tools a user would: mtools, fsck.fat, a byte range.</summary>
internal static class ImageTools
{
    public static string Drive(string image, ulong offset) => $"{image}@@{offset.ToString(CultureInfo.InvariantCulture)}";

    public static string Mtools(string tool, params string[] arguments)
    {
        var result = TestProcess.Run(tool, arguments, new Dictionary<string, string?> { ["MTOOLS_SKIP_CHECK"] = "1", ["TZ"] = "UTC", ["LC_ALL"] = "C" });
        Assert.True(result.ExitCode == 0, $"{tool} {string.Join(' ', arguments)} exited {result.ExitCode}: {result.Stderr}");
        return result.Stdout;
    }

    /// <summary>Copies a byte range of an image into its own file (for fsck.fat, which takes no offset).</summary>
    public static string Extract(string image, ulong offset, ulong size, string path)
    {
        using var input = File.OpenRead(image);
        using var output = File.Create(path);
        input.Position = checked((long)offset);
        var buffer = new byte[1 << 20];
        var left = checked((long)size);
        while (left > 0)
        {
            var read = input.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            Assert.True(read > 0, "The image ends inside the range.");
            output.Write(buffer, 0, read);
            left -= read;
        }

        return path;
    }

    public static bool RangeIsZero(string image, ulong offset, ulong size)
    {
        using var input = File.OpenRead(image);
        input.Position = checked((long)offset);
        var buffer = new byte[1 << 20];
        var left = checked((long)size);
        while (left > 0)
        {
            var read = input.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read <= 0 || buffer.AsSpan(0, read).ContainsAnyExcept((byte)0))
            {
                return false;
            }

            left -= read;
        }

        return true;
    }

    /// <summary>Asserts two images are the same size and byte for byte equal outside [skipStart, skipEnd).</summary>
    public static void AssertSameOutside(string expected, string actual, ulong skipStart, ulong skipEnd)
    {
        using var a = File.OpenRead(expected);
        using var b = File.OpenRead(actual);
        Assert.Equal(a.Length, b.Length);
        var left = new byte[1 << 20];
        var right = new byte[1 << 20];
        long position = 0;
        while (position < a.Length)
        {
            var count = (int)Math.Min(left.Length, a.Length - position);
            a.ReadExactly(left, 0, count);
            b.ReadExactly(right, 0, count);
            for (var i = 0; i < count; i++)
            {
                var at = (ulong)(position + i);
                if (left[i] != right[i] && (at < skipStart || at >= skipEnd))
                {
                    Assert.Fail($"{actual} differs from {expected} at byte {at}: 0x{right[i]:X2}, expected 0x{left[i]:X2}.");
                }
            }

            position += count;
        }
    }

    public static string Sha256(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(file));
    }

    /// <summary>fsck.fat -n (check only): exit 0 means a consistent file system.</summary>
    public static void AssertFatIsClean(string fat)
    {
        var (exitCode, stdout, stderr) = GptTools.RunRaw("fsck.fat", ["-n", "-v", fat]);
        Assert.True(exitCode == 0, $"fsck.fat -n {fat} exited {exitCode}: {stdout}{stderr}");
    }

    public static byte[] ReadBytes(string image, ulong offset, int count)
    {
        using var input = File.OpenRead(image);
        input.Position = checked((long)offset);
        var bytes = new byte[count];
        input.ReadExactly(bytes);
        return bytes;
    }
}
