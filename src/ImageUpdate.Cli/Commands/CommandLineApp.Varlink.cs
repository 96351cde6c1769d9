using System.CommandLine;
using System.Reflection;
using ImageUpdate.Formats.Versions;
using ImageUpdate.Platform.Varlink;
using ImageUpdate.Systemd.UpdateNotify;
using ImageUpdate.Systemd.Varlink;

namespace ImageUpdate.Cli.Commands;

public sealed partial class CommandLineApp
{
    /// <summary>$SYSTEMD_SYSUPDATE_NO_VERIFY: systemd-sysupdate 262's Varlink methods skip signature checks when it is true.</summary>
    private const string NoVerifyVariable = "SYSTEMD_SYSUPDATE_NO_VERIFY";

    /// <summary>Test hook: the subscriber directory of the update-notification callout instead of /run/systemd/sysupdate/notify.</summary>
    internal const string NotifyDirectoryVariable = "IMAGE_UPDATE_TEST_NOTIFY_DIR";

    /// <summary>
    /// When the program was started the way systemd-sysupdate.socket (Accept=yes,
    /// FileDescriptorName=varlink) or `varlinkctl call exec:PROGRAM` starts systemd-sysupdate, it
    /// serves io.systemd.SysUpdate on the passed socket instead of running a verb, as 262 does; null otherwise.
    /// </summary>
    private Task<int>? VarlinkInvocation(ParseResult parse, CancellationToken cancellationToken) =>
        SocketActivation.IsVarlinkInvocation(_environment.Get("LISTEN_PID"), _environment.Get("LISTEN_FDS"), _environment.Get("LISTEN_FDNAMES"), Environment.ProcessId)
            ? ServeVarlinkAsync(parse, cancellationToken)
            : null;

    private async Task<int> ServeVarlinkAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var logger = CreateLogger(parse);
        var options = _global.ToEngineOptions(parse);
        if (_environment.Get(NoVerifyVariable) is { } noVerify && SystemdBoolean.TryParse(noVerify, out var skip) && skip)
        {
            options = options with { Verify = false };
        }

        var version = typeof(CommandLineApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        var info = new VarlinkServerInfo("image-update", "image-update", version, Url: "");
        var server = new VarlinkServer(info, [new SysUpdateVarlinkService(options, Services(logger), logger)], logger);
        await server.ServeAsync(SocketActivation.TakeSocket(), cancellationToken).ConfigureAwait(false);
        return 0;
    }

    /// <summary>The update-notification callout every verb's engine gets (see <see cref="Services"/>).</summary>
    private UpdateNotifyCallout NotifyCallout(Microsoft.Extensions.Logging.ILogger logger) =>
        new(logger, _environment.Get(NotifyDirectoryVariable) ?? SysUpdateInterface.NotifyDirectory);
}
