namespace ImageUpdate.Platform.Processes;

/// <summary>
/// What a finished program left behind. The streams are decoded as UTF-8 (invalid bytes become
/// U+FFFD) and are untrusted text: escape them before printing. <see cref="OutputTruncated"/> says a
/// stream went past <see cref="ProcessRequest.MaxOutputBytes"/> and was cut there.
/// </summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError, bool OutputTruncated);
