using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.Varlink;
using ImageUpdate.Systemd.Varlink;
using ImageUpdate.Update.Engine;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Systemd.UpdateNotify;

/// <summary>
/// systemd-sysupdate 262's update-notification callout: after an installed update, every socket in
/// /run/systemd/sysupdate/notify/ gets one io.systemd.SysUpdate.Notify.OnCompletedUpdate call
/// (component, version, and each installed resource's transfer and path) and is waited for, one after
/// the other, each within <see cref="Timeout"/> (262's five minutes). A subscriber that is gone, hangs
/// up, answers with an error or stays silent is logged and skipped: the update has succeeded already.
/// </summary>
public sealed class UpdateNotifyCallout : IUpdateSubscribers
{
    private readonly string _directory;
    private readonly ILogger _logger;

    public UpdateNotifyCallout(ILogger logger, string directory = SysUpdateInterface.NotifyDirectory)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(directory);
        _logger = logger;
        _directory = directory;
    }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    public async Task NotifyAsync(CompletedUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        string[] sockets;
        try
        {
            sockets = [.. Directory.EnumerateFileSystemEntries(_directory)
                .Where(p => !Path.GetFileName(p).StartsWith('.') && !Directory.Exists(p))
                .Order(StringComparer.Ordinal)];
        }
        catch (DirectoryNotFoundException)
        {
            return; // Nobody subscribed.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogDebug("Failed to list update subscribers in '{Directory}', ignoring: {Message}", _directory, e.Message);
            return;
        }

        var told = 0;
        foreach (var socket in sockets)
        {
            if (await TellAsync(socket, update, cancellationToken).ConfigureAwait(false))
            {
                told++;
            }
        }

        if (told > 0)
        {
            _logger.LogDebug("Dispatched update notification to {Count} subscriber(s) in '{Directory}'.", told, _directory);
        }
    }

    private async Task<bool> TellAsync(string socket, CompletedUpdate update, CancellationToken cancellationToken)
    {
        var name = UntrustedText.Escape(Path.GetFileName(socket));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        try
        {
            await using var connection = await VarlinkConnection.ConnectAsync(socket, Timeout, deadline.Token).ConfigureAwait(false);
            await connection.CallAsync(SysUpdateInterface.OnCompletedUpdate, w =>
            {
                if (update.Component is { } component)
                {
                    w.WriteString("component", component);
                }

                w.WriteString("version", update.Version);
                if (update.Resources.Count > 0)
                {
                    w.WriteStartArray("resources");
                    foreach (var resource in update.Resources)
                    {
                        w.WriteStartObject();
                        w.WriteString("transfer", resource.Transfer);
                        if (resource.Path is { } path)
                        {
                            w.WriteString("path", path);
                        }

                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                }
            }, deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (VarlinkErrorException e)
        {
            _logger.LogWarning("Notification subscriber '{Name}' returned error, ignoring: {Error}", name, UntrustedText.Escape(e.Error));
            return true;
        }
        catch (VarlinkException e)
        {
            _logger.LogWarning("Failed to notify subscriber '{Name}', ignoring: {Message}", name, e.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("Notification subscriber '{Name}' did not answer within {Seconds} s, ignoring.", name, Timeout.TotalSeconds);
        }
        catch (OperationCanceledException)
        {
            _logger.LogWarning("Notifying subscriber '{Name}' was interrupted, ignoring.", name);
        }
        catch (Exception e)
        {
            // The update is installed: whatever a subscriber does wrong is its problem, never the update's.
            _logger.LogWarning("Failed to notify subscriber '{Name}', ignoring: {Message}", name, UntrustedText.Escape(e.Message));
        }

        return false;
    }
}
