namespace ImageUpdate.Update.Engine;

/// <summary>
/// Who hears of an installed update once it is final (the program: every socket in
/// /run/systemd/sysupdate/notify/, as systemd-sysupdate 262 calls them). Told only on the running
/// system (not under --root or --image) and never for a no-op update; a subscriber's failure is
/// the implementation's to log, never the update's failure.
/// </summary>
public interface IUpdateSubscribers
{
    static IUpdateSubscribers None { get; } = new NoSubscribers();

    Task NotifyAsync(CompletedUpdate update, CancellationToken cancellationToken);

    private sealed class NoSubscribers : IUpdateSubscribers
    {
        public Task NotifyAsync(CompletedUpdate update, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
