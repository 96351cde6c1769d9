using System.Collections;
using ImageUpdate.Formats.Verification;
using ImageUpdate.Foundation.Diagnostics;

namespace ImageUpdate.Update.Engine;

/// <summary>
/// The environment variables the library honours, read by the program (the CLI) and handed in,
/// so the library itself never reads the process environment and a test states exactly what it sets.
/// <see cref="Empty"/> (the default) means none is set.
/// </summary>
public sealed record HostEnvironment
{
    public const string LockPathVariable = "IMAGE_UPDATE_LOCK_PATH";

    public const string StallTimeoutVariable = "IMAGE_UPDATE_STALL_TIMEOUT";

    public const string StateDirectoryVariable = "IMAGE_UPDATE_STATE_DIRECTORY";

    public const string SourceDateEpochVariable = "SOURCE_DATE_EPOCH";

    /// <summary>Test hook ("1" or "0") that overrides systemd's presence (see <c>Power.SystemdPresence</c>).</summary>
    public const string SystemdRunningVariable = "IMAGE_UPDATE_TEST_SYSTEMD_RUNNING";

    public HostEnvironment(IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        Variables = variables;
    }

    public static HostEnvironment Empty { get; } = new(new Dictionary<string, string>());

    /// <summary>Every variable as read (the proxy variables of <see cref="Platform.Transport.TransportOptions"/> are looked up here).</summary>
    public IReadOnlyDictionary<string, string> Variables { get; }

    /// <summary>$NOTIFY_SOCKET: where sd_notify datagrams go (unset: nowhere).</summary>
    public string? NotifySocket => Get("NOTIFY_SOCKET");

    /// <summary>$DBUS_SYSTEM_BUS_ADDRESS.</summary>
    public string? SystemBusAddress => Get("DBUS_SYSTEM_BUS_ADDRESS");

    /// <summary>The system bus to connect to: <see cref="SystemBusAddress"/>, else the well-known default.</summary>
    public string SystemBus => Platform.DBus.BusAddress.SystemBusOr(SystemBusAddress);

    /// <summary>$SYSTEMD_ESP_PATH and $SYSTEMD_XBOOTLDR_PATH: where the boot partitions are, instead of looking.</summary>
    public Model.Host.BootPartitionOverrides BootPartitions => new(Get(Model.Host.BootPartitionOverrides.EspVariable), Get(Model.Host.BootPartitionOverrides.XbootldrVariable));

    /// <summary>$<see cref="SystemdRunningVariable"/>: whether systemd runs, for tests ("1" or "0"; else look).</summary>
    public string? SystemdRunningOverride => Get(SystemdRunningVariable);

    /// <summary>$TMPDIR, $TEMP and $TMP in that order (unset ones left out): %T and %V without --root.</summary>
    public IReadOnlyList<string> TemporaryDirectories =>
        [.. Model.Host.HostIdentity.TemporaryDirectoryVariables.Select(Get).OfType<string>()];

    /// <summary>$IMAGE_UPDATE_LOCK_PATH: the host lock instead of /run/image-update.lock.</summary>
    public string? LockPath => Get(LockPathVariable);

    /// <summary>$IMAGE_UPDATE_STATE_DIRECTORY: image-update's host state (the index cache) instead of /var/lib/image-update of the root.</summary>
    public string? StateDirectory => Get(StateDirectoryVariable);

    /// <summary>$IMAGE_UPDATE_STALL_TIMEOUT: seconds a download may stall.</summary>
    public string? StallTimeout => Get(StallTimeoutVariable);

    /// <summary>The SHA256SUMS BEST-BEFORE override (<see cref="Sha256Manifest.VerifyFreshnessVariable"/>).</summary>
    public string? VerifyFreshness => Get(Sha256Manifest.VerifyFreshnessVariable);

    /// <summary>$SOURCE_DATE_EPOCH, unparsed: reproducible builds' timestamp.</summary>
    public string? SourceDateEpoch => Get(SourceDateEpochVariable);

    /// <summary>The crash-test point (<see cref="CrashPoint.EnvironmentVariable"/>).</summary>
    public string? CrashAt => Get(CrashPoint.EnvironmentVariable);

    /// <summary>The crash-test pause (<see cref="CrashPoint.PauseVariable"/>).</summary>
    public string? PauseAt => Get(CrashPoint.PauseVariable);

    /// <summary>A variable's value; an empty value counts as unset.</summary>
    /// <summary>Moves the machine ID SuggestOnFraction=/SuggestOnHost= read (tests only; systemd has no such switch).</summary>
    public const string MachineIdVariable = "IMAGE_UPDATE_TEST_MACHINE_ID_FILE";

    /// <summary>The running system's facts for SuggestOn*= conditions, with the variables systemd honours there.</summary>
    public Model.Host.SystemFacts SystemFacts() => Model.Host.SystemFacts.Detect(
        Get(Model.Host.SystemFacts.MachineInfoVariable),
        Get(MachineIdVariable),
        [.. new[] { Get("CREDENTIALS_DIRECTORY"), Get("ENCRYPTED_CREDENTIALS_DIRECTORY") }.OfType<string>()]);

    public string? Get(string name) => Variables.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    /// <summary>From the process environment's dictionary of variables (the program reads it, once).</summary>
    public static HostEnvironment From(IDictionary variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var copy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in variables)
        {
            if (entry.Key is string name && entry.Value is string value)
            {
                copy[name] = value;
            }
        }

        return new HostEnvironment(copy);
    }
}
