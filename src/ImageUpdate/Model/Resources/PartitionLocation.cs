using ImageUpdate.Formats.Gpt;

namespace ImageUpdate.Model.Resources;

/// <summary>A slot of a GPT partition table: which entry holds the instance, and its extent.</summary>
public sealed record PartitionLocation(PartitionSlot Slot) : InstanceLocation;
