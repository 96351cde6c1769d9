namespace ImageUpdate.Formats.Gpt;

/// <summary>
/// What <see cref="GptDisk.Read"/> found: the table (from the primary copy when it is valid, else from
/// the backup) and, for each copy that was not used as is, why. A problem in either copy is repaired by
/// the next write, which always writes both.
/// </summary>
public sealed record GptReadResult(PartitionTable Table, ProtectiveMbr Mbr, string? PrimaryProblem, string? BackupProblem)
{
    public bool BothCopiesValid => PrimaryProblem is null && BackupProblem is null;
}
