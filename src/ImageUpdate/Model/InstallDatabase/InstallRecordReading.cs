namespace ImageUpdate.Model.InstallDatabase;

/// <summary>What reading one database entry gave: a record, or why the entry is to be expunged.</summary>
/// <param name="Record">The record, when the entry is sound.</param>
/// <param name="Problem">One line, untrusted text escaped, naming the entry: why it is expunged.</param>
public sealed record InstallRecordReading(InstallRecord? Record, string? Problem)
{
    public static InstallRecordReading Sound(InstallRecord record) => new(record, null);

    public static InstallRecordReading Rejected(string problem) => new(null, problem);
}
