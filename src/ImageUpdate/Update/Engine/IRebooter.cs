namespace ImageUpdate.Update.Engine;

/// <summary>What restarts the machine after an update asked for it (--reboot): the engine's seam, so a test can observe the request.</summary>
public interface IRebooter
{
    /// <summary>No way to reboot was handed in: asking fails.</summary>
    static IRebooter Unavailable { get; } = new NoRebooter();

    Task RebootAsync(CancellationToken cancellationToken);

    private sealed class NoRebooter : IRebooter
    {
        public Task RebootAsync(CancellationToken cancellationToken) =>
            Task.FromException(new Foundation.Errors.UpdateException("Cannot reboot: this program was given no way to reboot the machine."));
    }
}
