using ImageUpdate.Update.Transfers;

namespace ImageUpdate.Update.Engine;

/// <summary>
/// Progress and status of an update as it runs: the CLI draws a bar or prints JSON events from it,
/// and the service-manager notifier turns it into X_SYSUPDATE_PROGRESS= and STATUS= lines.
/// </summary>
public interface IUpdateObserver
{
    static IUpdateObserver None { get; } = new NoObserver();

    /// <summary>A new phase: making room, updating, installing, installed.</summary>
    void OnStatus(string version, string status);

    /// <summary>Transfer <paramref name="index"/> of <paramref name="count"/> is <paramref name="fraction"/> done.</summary>
    void OnProgress(string version, int index, int count, double fraction);

    /// <summary>
    /// Transfer <paramref name="index"/> of <paramref name="count"/> (<paramref name="transfer"/>, its
    /// definition's name) has copied <paramref name="progress"/> (bytes, and the total when known),
    /// reported as it copies, possibly out of order (Progress&lt;T&gt; calls back on the thread pool);
    /// the end of each transfer still comes as the fraction 1. By default the fraction, when the total
    /// is known, goes to the other overload; the terminal line overrides this to show bytes and rate.
    /// </summary>
    void OnProgress(string version, int index, int count, string transfer, TransferProgress progress)
    {
        if (progress.Fraction is { } fraction)
        {
            OnProgress(version, index, count, fraction);
        }
    }

    /// <summary>Room was made before acquiring (what `update --json` prints, as sysupdate does, even if the acquire then fails).</summary>
    void OnRoomMade(VacuumResult result)
    {
    }

    private sealed class NoObserver : IUpdateObserver
    {
        public void OnStatus(string version, string status)
        {
        }

        public void OnProgress(string version, int index, int count, double fraction)
        {
        }
    }
}
