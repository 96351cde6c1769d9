using ImageUpdate.Update.Engine;

namespace ImageUpdate.Cli.Output;

/// <summary>
/// Progress of an update: a live line on a terminal (stderr), JSON event lines with --json, nothing
/// otherwise, so logs and pipes stay clean.
/// </summary>
public sealed class ConsoleProgress(TextWriter error, JsonMode json, Action<VacuumResult> roomMade) : IUpdateObserver
{
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private int _lastPercent = -1;

    public void OnRoomMade(VacuumResult result)
    {
        if (json != JsonMode.Off)
        {
            roomMade(result);
        }
    }

    public void OnStatus(string version, string status)
    {
        if (json != JsonMode.Off)
        {
            JsonOutput.Write(error, JsonMode.Short, w =>
            {
                w.WriteStartObject();
                w.WriteString("event", "status");
                w.WriteString("version", version);
                w.WriteString("status", status);
                w.WriteEndObject();
            });
        }
    }

    public void OnProgress(string version, int index, int count, double fraction)
    {
        // Overall percentage as sysupdate computes X_SYSUPDATE_PROGRESS: (100*i + pct) / n.
        var percent = (int)(((100.0 * index) + (100.0 * fraction)) / count);
        if (percent == _lastPercent)
        {
            return;
        }

        _lastPercent = percent;
        if (json != JsonMode.Off)
        {
            JsonOutput.Write(error, JsonMode.Short, w =>
            {
                w.WriteStartObject();
                w.WriteString("event", "progress");
                w.WriteString("version", version);
                w.WriteNumber("transfer", index + 1);
                w.WriteNumber("transfers", count);
                w.WriteNumber("percent", percent);
                w.WriteEndObject();
            });
        }
        else if (_terminal)
        {
            error.Write($"\rUpdating to '{version}': {percent,3}% (transfer {index + 1}/{count})");
            if (percent >= 100)
            {
                error.WriteLine();
            }
        }
    }
}
