namespace ImageUpdate.Formats.Pe;

/// <summary>A section <see cref="UkiAssembler"/> adds to a stub: its name (at most 8 ASCII characters) and contents.</summary>
public sealed record UkiSection(string Name, ReadOnlyMemory<byte> Data);
