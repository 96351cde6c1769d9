using System.CommandLine;
using System.Globalization;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.DBus;
using ImageUpdate.Systemd.Service;

namespace ImageUpdate.Cli.Commands;

public sealed partial class CommandLineApp
{
    private void AddServiceVerbs(Command root)
    {
        var address = new Option<string?>("--bus-address") { Description = "Serve on this D-Bus address instead of the system bus", HelpName = "ADDRESS" };
        var idle = new Option<string?>("--exit-idle-time")
        {
            Description = "Leave the bus after this many seconds without calls or jobs, as systemd-sysupdated does (default 30; 0 or infinity: never)",
            HelpName = "SECONDS",
        };
        var serve = new Command("serve", "Offer updates over D-Bus as org.freedesktop.sysupdate1 (systemd-sysupdated's interface)") { address, idle };
        serve.SetAction((r, ct) => ServeAsync(r, r.GetValue(address), r.GetValue(idle), ct));
        root.Subcommands.Add(serve);
    }

    private async Task<int> ServeAsync(ParseResult r, string? address, string? idle, CancellationToken cancellationToken)
    {
        var idleTimeout = ParseIdleTime(idle);
        var logger = CreateLogger(r);

        // Jobs write the host's disks like `update` does: with a logind inhibitor while they write.
        var options = _global.ToEngineOptions(r);
        await using var connection = await BusConnection.ConnectAsync(address ?? _environment.SystemBus, cancellationToken: cancellationToken).ConfigureAwait(false);
        connection.Logger = logger;

        await new SysupdateService(connection, options, Services(logger), logger, idleTimeout).RunAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }

    private static TimeSpan ParseIdleTime(string? value) => value switch
    {
        null => SysupdateService.DefaultIdleTimeout,
        "infinity" => Timeout.InfiniteTimeSpan,
        _ when uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) => TimeSpan.FromSeconds(seconds),
        _ => throw new UsageException($"Failed to parse --exit-idle-time= argument: {UntrustedText.Escape(value)}"),
    };
}
