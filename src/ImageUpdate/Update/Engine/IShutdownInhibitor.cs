namespace ImageUpdate.Update.Engine;

/// <summary>
/// Keeps the machine from shutting down or sleeping while an update writes partitions or boot files,
/// so a shutdown cannot cut a write in half. The engine asks for it before its first write and
/// disposes what it got once the last write is synced. <see cref="None"/> (the default) holds
/// nothing: unit tests and image builds need no bus.
/// </summary>
public interface IShutdownInhibitor
{
    static IShutdownInhibitor None { get; } = new NoInhibitor();

    /// <summary>Takes the lock; never throws for a missing lock manager (the update goes on without it).</summary>
    Task<IDisposable> InhibitAsync(string why, CancellationToken cancellationToken);

    private sealed class NoInhibitor : IShutdownInhibitor, IDisposable
    {
        public Task<IDisposable> InhibitAsync(string why, CancellationToken cancellationToken) => Task.FromResult<IDisposable>(this);

        public void Dispose()
        {
        }
    }
}
