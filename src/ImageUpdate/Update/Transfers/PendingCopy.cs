using ImageUpdate.Model.Resources;

namespace ImageUpdate.Update.Transfers;

/// <summary>
/// A copy made pending by an acquire (or found pending from an earlier run): the names it was prepared
/// with and where it lies, the pending file or the claimed partition slot. Install takes exactly this.
/// </summary>
public sealed record PendingCopy(PreparedTarget Target, InstanceLocation Location);
