namespace ImageUpdate.Update.Engine;

/// <summary>
/// The shutdown inhibitor of one update run, taken lazily at the first write (an update with nothing
/// to do takes none) and released once; disposing twice, or without having taken it, is harmless.
/// </summary>
internal sealed class ShutdownInhibition(IShutdownInhibitor? inhibitor) : IDisposable
{
    /// <summary>What logind shows in `systemd-inhibit --list`.</summary>
    public const string Why = "Writing an update";

    private IDisposable? _held;
    private bool _released;

    public async Task HoldAsync(CancellationToken cancellationToken)
    {
        if (inhibitor is null || _held is not null || _released)
        {
            return;
        }

        _held = await inhibitor.InhibitAsync(Why, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _released = true;
        _held?.Dispose();
        _held = null;
    }
}
