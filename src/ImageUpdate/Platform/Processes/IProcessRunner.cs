namespace ImageUpdate.Platform.Processes;

/// <summary>
/// The one way the engine runs an external program (btrfs, sfdisk, mcopy, qemu): an argument list,
/// never a shell string, with a timeout. Tests substitute a fake to script tool behaviour.
/// </summary>
public interface IProcessRunner
{
    /// <summary>
    /// Runs <paramref name="request"/> to completion. A non-zero exit (when
    /// <see cref="ProcessRequest.CheckExitCode"/>), a program that cannot be started, or a timeout
    /// throw <see cref="ExternalToolException"/>; cancellation kills the process tree and throws
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    Task<ProcessResult> RunAsync(ProcessRequest request, CancellationToken cancellationToken);
}
