namespace ImageUpdate.Model.Host;

/// <summary>
/// What the running system is, as systemd's condition tests see it (src/shared/condition.c): the facts
/// SuggestOn*= of components and features are evaluated against. Always the running system, never
/// --root's, as systemd-sysupdate 262 tests them. Tests build one by hand; <see cref="Detect"/> reads
/// the host once.
/// </summary>
public sealed record SystemFacts
{
    /// <summary>/etc/machine-id as 16 bytes, or null when unset (Fraction= and Host= by ID then fail).</summary>
    public byte[]? MachineId { get; init; }

    public string Hostname { get; init; } = "localhost";

    /// <summary>systemd's architecture name of the kernel (x86-64, arm64, ...).</summary>
    public string Architecture { get; init; } = "x86-64";

    /// <summary>systemd-detect-virt's ID ("none" on bare metal).</summary>
    public string Virtualization { get; init; } = "none";

    public VirtualizationKind VirtualizationKind { get; init; }

    /// <summary>The kernel command line (/proc/cmdline).</summary>
    public string KernelCommandLine { get; init; } = "";

    /// <summary>uname -r.</summary>
    public string KernelRelease { get; init; } = "";

    /// <summary>The systemd version whose behaviour image-update follows (262), for SuggestOnVersion=systemd ....</summary>
    public string SystemdVersion { get; init; } = "262";

    /// <summary>The C library's version, for SuggestOnVersion=glibc ... (null: not glibc).</summary>
    public string? GlibcVersion { get; init; }

    /// <summary>TAGS= of /etc/machine-info, unparsed (null when the file or the field is missing).</summary>
    public string? MachineTags { get; init; }

    /// <summary>The running system's os-release fields (/etc/os-release, else /usr/lib/os-release).</summary>
    public IReadOnlyDictionary<string, string> OsRelease { get; init; } = new Dictionary<string, string>();

    /// <summary>The security technologies in use, by ConditionSecurity='s names (selinux, apparmor, uefi-secureboot, ...).</summary>
    public IReadOnlySet<string> Security { get; init; } = new HashSet<string>();

    /// <summary>Booted through UEFI (/sys/firmware/efi exists).</summary>
    public bool Uefi { get; init; }

    /// <summary>The compatible strings of the device tree, or null without one.</summary>
    public IReadOnlyList<string>? DeviceTreeCompatible { get; init; }

    /// <summary>$CREDENTIALS_DIRECTORY and $ENCRYPTED_CREDENTIALS_DIRECTORY as the program read them.</summary>
    public IReadOnlyList<string> CredentialDirectories { get; init; } = [];

    /// <summary>The environment variable that moves /etc/machine-info (systemd's etc_machine_info()).</summary>
    public const string MachineInfoVariable = "SYSTEMD_ETC_MACHINE_INFO";

    /// <summary>Reads the running system's facts.</summary>
    /// <param name="machineInfoPath">$SYSTEMD_ETC_MACHINE_INFO, else null for /etc/machine-info.</param>
    /// <param name="machineIdPath">Where the machine ID is read (/etc/machine-id unless a test moves it).</param>
    /// <param name="credentialDirectories">The set values of $CREDENTIALS_DIRECTORY and $ENCRYPTED_CREDENTIALS_DIRECTORY.</param>
    public static SystemFacts Detect(string? machineInfoPath, string? machineIdPath, IReadOnlyList<string> credentialDirectories)
    {
        var identity = HostIdentity.Detect("/");
        var (virtualization, kind) = DetectVirtualization();
        var security = new HashSet<string>(StringComparer.Ordinal);
        if (Directory.Exists("/sys/fs/selinux") && File.Exists("/sys/fs/selinux/enforce"))
        {
            security.Add("selinux");
        }

        if (Read("/sys/module/apparmor/parameters/enabled") is "Y")
        {
            security.Add("apparmor");
        }

        if (Directory.Exists("/sys/fs/smackfs"))
        {
            security.Add("smack");
        }

        if (File.Exists("/proc/self/loginuid"))
        {
            security.Add("audit");
        }

        if (File.Exists("/sys/kernel/security/ima/policy"))
        {
            security.Add("ima");
        }

        if (Directory.Exists("/sys/kernel/security/tomoyo"))
        {
            security.Add("tomoyo");
        }

        if (Directory.Exists("/sys/class/tpmrm") && Directory.EnumerateFileSystemEntries("/sys/class/tpmrm").Any())
        {
            security.Add("tpm2");
        }

        var machineIdText = machineIdPath is null ? identity.MachineId : HostIdentity.ReadMachineIdFile(machineIdPath);
        var compatible = Read("/proc/device-tree/compatible");
        return new SystemFacts
        {
            MachineId = machineIdText is null ? null : Convert.FromHexString(machineIdText),
            Hostname = identity.Hostname,
            Architecture = identity.Architecture,
            Virtualization = virtualization,
            VirtualizationKind = kind,
            KernelCommandLine = Read("/proc/cmdline") ?? "",
            KernelRelease = identity.KernelRelease ?? "",
            GlibcVersion = Foundation.Native.Libc.GlibcVersion(),
            MachineTags = ReadEnvField(machineInfoPath ?? "/etc/machine-info", "TAGS"),
            OsRelease = Host.OsRelease.Read("/")?.Fields ?? new Dictionary<string, string>(),
            Security = security,
            Uefi = Directory.Exists("/sys/firmware/efi"),
            DeviceTreeCompatible = Directory.Exists("/sys/firmware/devicetree/base") || compatible is not null
                ? (compatible ?? "").Split('\0', StringSplitOptions.RemoveEmptyEntries)
                : null,
            CredentialDirectories = credentialDirectories,
        };
    }

    // A small part of detect_virtualization (src/basic/virt.c): the container a service manager or
    // container runtime announces, then a hypervisor the CPU or the DMI tables name.
    private static (string Id, VirtualizationKind Kind) DetectVirtualization()
    {
        var container = Read("/run/systemd/container");
        if (container is { Length: > 0 })
        {
            return (container, VirtualizationKind.Container);
        }

        if (File.Exists("/.dockerenv"))
        {
            return ("docker", VirtualizationKind.Container);
        }

        if (File.Exists("/run/.containerenv"))
        {
            return ("podman", VirtualizationKind.Container);
        }

        var vendor = (Read("/sys/class/dmi/id/sys_vendor") ?? "") + " " + (Read("/sys/class/dmi/id/product_name") ?? "");
        (string Needle, string Id)[] vms =
        [
            ("KVM", "kvm"), ("QEMU", "qemu"), ("VMware", "vmware"), ("Microsoft Corporation", "microsoft"),
            ("innotek GmbH", "oracle"), ("VirtualBox", "oracle"), ("Xen", "xen"), ("Bochs", "bochs"),
            ("Parallels", "parallels"), ("BHYVE", "bhyve"), ("Google", "google"), ("Amazon EC2", "amazon"),
        ];
        foreach (var (needle, id) in vms)
        {
            if (vendor.Contains(needle, StringComparison.Ordinal))
            {
                return (id, VirtualizationKind.VirtualMachine);
            }
        }

        var cpu = Read("/proc/cpuinfo") ?? "";
        if (cpu.Split('\n').Any(l => l.StartsWith("flags", StringComparison.Ordinal) && l.Split(' ').Contains("hypervisor")))
        {
            return ("vm-other", VirtualizationKind.VirtualMachine);
        }

        return ("none", VirtualizationKind.None);
    }

    // parse_env_file for one field: KEY=VALUE lines, '#' comments, optional quotes.
    private static string? ReadEnvField(string path, string key)
    {
        var text = Read(path);
        if (text is null)
        {
            return null;
        }

        string? value = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';' || !line.StartsWith(key + "=", StringComparison.Ordinal))
            {
                continue;
            }

            value = line[(key.Length + 1)..];
            if (value.Length >= 2 && value[0] is '"' or '\'' && value[^1] == value[0])
            {
                value = value[1..^1];
            }
        }

        return value;
    }

    private static string? Read(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).TrimEnd('\n') : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
