using ImageUpdate.Update.Engine;

namespace ImageUpdate.Systemd.BootCounting;

/// <summary>
/// One `rollback`: the engine options that find the installed versions (offline: only what is on the
/// disk counts; <see cref="EngineOptions.Reboot"/>: reboot afterwards) and where the booted entry is.
/// </summary>
public sealed record RollbackRequest(EngineOptions Options, BootEntryLocation Location);
