using ImageUpdate.Update.Engine;

namespace ImageUpdate.Cli.Commands;

/// <summary>Gets what the program printed out before the machine goes down, then reboots.</summary>
public sealed class FlushingRebooter(IRebooter inner, params TextWriter[] writers) : IRebooter
{
    public Task RebootAsync(CancellationToken cancellationToken)
    {
        foreach (var writer in writers)
        {
            writer.Flush();
        }

        return inner.RebootAsync(cancellationToken);
    }
}
