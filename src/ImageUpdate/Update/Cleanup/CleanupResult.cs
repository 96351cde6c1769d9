namespace ImageUpdate.Update.Cleanup;

/// <summary>What one component's cleanup did.</summary>
/// <param name="Removed">The orphaned files and directories removed, as paths inside the root.</param>
/// <param name="Expunged">How many database entries were removed (their files gone, or the entry unsound).</param>
/// <param name="Failures">One line each, not logged by the cleanup: what could not be done (the entry is kept to be tried again).</param>
public sealed record CleanupResult(IReadOnlyList<string> Removed, int Expunged, IReadOnlyList<string> Failures);
