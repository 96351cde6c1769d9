using System.Globalization;
using System.Text.RegularExpressions;

namespace ImageUpdate.Model.Host;

/// <summary>The mounts of this process (/proc/self/mountinfo): mount point and the device behind it.</summary>
internal sealed partial class MountTable
{
    private readonly Dictionary<string, Mount> _byPoint;

    private MountTable(Dictionary<string, Mount> byPoint) => _byPoint = byPoint;

    public sealed record Mount(string Point, uint Major, uint Minor, string FileSystem);

    public Mount? Find(string mountPoint) => _byPoint.GetValueOrDefault(mountPoint.TrimEnd('/') is { Length: > 0 } p ? p : "/");

    public static MountTable Read(string path = "/proc/self/mountinfo")
    {
        var byPoint = new Dictionary<string, Mount>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
                var fields = line.Split(' ');
                var dash = Array.IndexOf(fields, "-");
                if (fields.Length < 5 || dash < 0 || dash + 1 >= fields.Length)
                {
                    continue;
                }

                var device = fields[2].Split(':');
                if (device.Length != 2 ||
                    !uint.TryParse(device[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major) ||
                    !uint.TryParse(device[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
                {
                    continue;
                }

                var point = Unescape(fields[4]);
                byPoint[point] = new Mount(point, major, minor, fields[dash + 1]); // later mounts shadow earlier ones
            }
        }
        catch (IOException)
        {
        }

        return new MountTable(byPoint);
    }

    public static MountTable Empty { get; } = new([]);

    private static string Unescape(string field) =>
        OctalEscape().Replace(field, m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());

    [GeneratedRegex(@"\\([0-7]{3})")]
    private static partial Regex OctalEscape();
}
