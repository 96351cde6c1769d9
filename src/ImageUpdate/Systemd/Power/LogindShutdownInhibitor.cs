using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.DBus;
using ImageUpdate.Update.Engine;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Systemd.Power;

/// <summary>
/// A logind "block" inhibitor for shutdown and sleep (org.freedesktop.login1(5), Inhibit): held as the
/// fd logind hands back, released by closing it. The bus connection is closed as soon as the fd is
/// here; logind watches the fd, not the connection. No system bus, no logind, or a refusal: the
/// update carries on unprotected, said at debug level (an initramfs or container has no logind, and
/// an update there is no less wanted).
/// </summary>
public sealed class LogindShutdownInhibitor(ILogger logger, string busAddress) : IShutdownInhibitor
{
    public const string What = "shutdown:sleep";
    public const string Who = "image-update";
    public const string Mode = "block";

    /// <summary>How long connecting and logind's answer may take before the update goes on without an inhibitor.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    public async Task<IDisposable> InhibitAsync(string why, CancellationToken cancellationToken)
    {
        var address = busAddress;
        try
        {
            await using var connection = await BusConnection.ConnectAsync(address, Timeout, cancellationToken).ConfigureAwait(false);
            var fd = await Logind.InhibitAsync(connection, What, Who, why, Mode, cancellationToken).ConfigureAwait(false);
            logger.LogDebug("Holding a logind shutdown inhibitor (fd {Fd}) while writing.", fd.DangerousGetHandle());
            return new Held(fd, logger);
        }
        catch (DBusException e)
        {
            logger.LogDebug("No shutdown inhibitor from logind at '{Address}' ({Reason}); writing without one.", UntrustedText.Escape(address), e.Message);
            return await IShutdownInhibitor.None.InhibitAsync(why, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class Held(SafeFileHandle fd, ILogger logger) : IDisposable
    {
        public void Dispose()
        {
            if (!fd.IsClosed)
            {
                fd.Dispose();
                logger.LogDebug("Released the logind shutdown inhibitor.");
            }
        }
    }
}
