using System.Text;

namespace ImageUpdate.Systemd.Service;

/// <summary>
/// The names org.freedesktop.sysupdate1 uses on the bus, as systemd-sysupdated (src/sysupdate/sysupdated.c)
/// publishes them: where the manual page (org.freedesktop.sysupdate1(5)) and the daemon disagree (job ids
/// are 't' in the daemon, 'u' in the page; List, Describe and Update take a 't' flags argument the page
/// leaves out), the daemon wins, since it is what clients such as updatectl were written against.
/// </summary>
public static class SysupdateBus
{
    public const string BusName = "org.freedesktop.sysupdate1";
    public const string ManagerPath = "/org/freedesktop/sysupdate1";
    public const string ManagerInterface = "org.freedesktop.sysupdate1.Manager";
    public const string TargetInterface = "org.freedesktop.sysupdate1.Target";
    public const string JobInterface = "org.freedesktop.sysupdate1.Job";

    /// <summary>SD_SYSUPDATE_OFFLINE, the one flag List and Describe accept.</summary>
    public const ulong OfflineFlag = 1;

    public const string AccessDenied = "org.freedesktop.DBus.Error.AccessDenied";
    public const string InvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
    public const string Failed = "org.freedesktop.DBus.Error.Failed";
    public const string NotSupported = "org.freedesktop.DBus.Error.NotSupported";
    public const string FileNotFound = "org.freedesktop.DBus.Error.FileNotFound";

    /// <summary>BUS_ERROR_NO_UPDATE_CANDIDATE: Update found nothing to install.</summary>
    public const string NoCandidate = "org.freedesktop.sysupdate1.NoCandidate";

    /// <summary>
    /// What sd-bus makes of EBUSY (no standard D-Bus error maps it, so sd_bus_error_set_errno names it
    /// System.Error.EBUSY): sysupdated's answer to a second update or vacuum of a busy target.
    /// </summary>
    public const string Busy = "System.Error.EBUSY";

    /// <summary>ECANCELED: the JobRemoved status (a negative errno) of a cancelled job.</summary>
    public const int CanceledStatus = -125;

    public static string JobPath(ulong id) => $"{ManagerPath}/job/_{id}";

    public static string TargetPath(string id) => $"{ManagerPath}/target/{EscapeLabel(id)}";

    /// <summary>
    /// sd-bus's bus_label_escape: ASCII letters and (not leading) digits stay, every other byte is
    /// _XX in lower-case hex, the empty string is "_". "component:foo" → "component_3afoo".
    /// </summary>
    public static string EscapeLabel(string label)
    {
        if (label.Length == 0)
        {
            return "_";
        }

        var result = new StringBuilder();
        var bytes = Encoding.UTF8.GetBytes(label);
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            if (b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') || (i > 0 && b is >= (byte)'0' and <= (byte)'9'))
            {
                result.Append((char)b);
            }
            else
            {
                result.Append('_').Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return result.ToString();
    }
}
