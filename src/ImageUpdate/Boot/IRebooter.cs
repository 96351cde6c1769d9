namespace ImageUpdate.Boot;

/// <summary>What restarts the machine after an update asked for it (--reboot): the engine's seam, so a test can observe the request.</summary>
public interface IRebooter
{
    Task RebootAsync(CancellationToken cancellationToken);
}
