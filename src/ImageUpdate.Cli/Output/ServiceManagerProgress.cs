using ImageUpdate.Engine;
using ImageUpdate.Notify;

namespace ImageUpdate.Cli.Output;

/// <summary>
/// An update's progress as sd_notify datagrams, in systemd-sysupdate's order (sysupdate.c,
/// context_acquire and context_install): READY=1 with X_SYSUPDATE_VERSION= and "Making room" once the
/// version is picked, "STATUS=Updating to", one X_SYSUPDATE_PROGRESS= datagram per whole percent,
/// "STATUS=Installing" and "STATUS=Installed". Without $NOTIFY_SOCKET nothing is sent.
/// </summary>
public sealed class ServiceManagerProgress(SystemdNotifier notifier) : IUpdateObserver
{
    private (string Version, int Index, int Overall)? _last;

    public void OnStatus(string version, string status)
    {
        // The engine says "Making room for 'V'." exactly where sysupdate sends READY=1 and the version.
        if (status == $"Making room for '{version}'.")
        {
            notifier.UpdateSelected(version);
            return;
        }

        notifier.Status(status);
    }

    public void OnProgress(string version, int index, int count, double fraction)
    {
        var percentage = (int)Math.Clamp(fraction * 100, 0, 100);
        var overall = SystemdNotifier.OverallProgress(index, count, percentage);

        // sysupdate reports each whole percent once; the engine's callbacks come far more often.
        if (_last == (version, index, overall))
        {
            return;
        }

        _last = (version, index, overall);
        notifier.Progress(index, count, percentage, version);
    }
}
