namespace ImageUpdate.Model.Definitions;

/// <summary>One Key=Value line of a unit-style file, with where it was written.</summary>
/// <param name="Line">The physical line the logical line ended on (systemd reports continuations there).</param>
public sealed record UnitFileAssignment(string File, int Line, string Section, string Key, string Value);
