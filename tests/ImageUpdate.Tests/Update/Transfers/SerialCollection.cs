namespace ImageUpdate.Tests.Update.Transfers;

/// <summary>Tests that measure the process (allocations, timing) and must not share it with others running in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Transfers, alone";
}
