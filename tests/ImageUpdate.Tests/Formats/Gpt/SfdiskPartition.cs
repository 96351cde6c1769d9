namespace ImageUpdate.Tests.Formats.Gpt;

/// <summary>One partition as `sfdisk --json` reports it; Number is the slot index + 1.</summary>
internal sealed record SfdiskPartition(int Number, ulong Start, ulong Size, Guid Type, Guid Uuid, string Name, ulong Attributes);
