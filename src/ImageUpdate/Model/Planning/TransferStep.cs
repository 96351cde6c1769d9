namespace ImageUpdate.Model.Planning;

/// <summary>
/// What one transfer needs for the selected version: <see cref="KeepInstalled"/>,
/// <see cref="InstallPending"/> or <see cref="AcquireFromSource"/>. A closed set: the engine executes
/// each kind and decides nothing itself.
/// </summary>
public abstract record TransferStep
{
    private protected TransferStep(string transferId) => TransferId = transferId;

    public string TransferId { get; }
}
