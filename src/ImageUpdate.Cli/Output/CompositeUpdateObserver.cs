using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Transfers;

namespace ImageUpdate.Cli.Output;

/// <summary>Hands every event of an update to several observers in turn (the console and the service manager).</summary>
public sealed class CompositeUpdateObserver(params IUpdateObserver[] observers) : IUpdateObserver
{
    public void OnStatus(string version, string status)
    {
        foreach (var observer in observers)
        {
            observer.OnStatus(version, status);
        }
    }

    public void OnProgress(string version, int index, int count, double fraction)
    {
        foreach (var observer in observers)
        {
            observer.OnProgress(version, index, count, fraction);
        }
    }

    public void OnProgress(string version, int index, int count, string transfer, TransferProgress progress)
    {
        foreach (var observer in observers)
        {
            observer.OnProgress(version, index, count, transfer, progress);
        }
    }

    public void OnRoomMade(VacuumResult result)
    {
        foreach (var observer in observers)
        {
            observer.OnRoomMade(result);
        }
    }
}
