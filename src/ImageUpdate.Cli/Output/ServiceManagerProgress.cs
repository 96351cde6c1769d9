using ImageUpdate.Systemd.Notify;
using ImageUpdate.Update.Engine;

namespace ImageUpdate.Cli.Output;

/// <summary>
/// An update's progress as sd_notify datagrams, in systemd-sysupdate's order (sysupdate.c,
/// context_acquire and context_install): READY=1 with X_SYSUPDATE_VERSION= and "Making room" once the
/// version is picked, "STATUS=Updating to", one X_SYSUPDATE_PROGRESS= datagram per whole percent,
/// "STATUS=Installing" and "STATUS=Installed". Without $NOTIFY_SOCKET nothing is sent.
/// </summary>
public sealed class ServiceManagerProgress(SystemdNotifier notifier) : IUpdateObserver
{
    private readonly Lock _gate = new();
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

        // Progress<T> calls back on the thread pool, possibly out of order: send under a lock, and
        // within one version only what rises; sysupdate reports each whole percent once.
        lock (_gate)
        {
            if (_last is { } last && last.Version == version && (index, overall).CompareTo((last.Index, last.Overall)) <= 0)
            {
                return;
            }

            _last = (version, index, overall);
            notifier.Progress(index, count, percentage, version);
        }
    }
}
