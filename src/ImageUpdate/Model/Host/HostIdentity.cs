using System.Runtime.InteropServices;

namespace ImageUpdate.Model.Host;

/// <summary>
/// What the running system is, as systemd's specifiers see it (systemd.unit(5) "Specifiers";
/// src/shared/specifier.c). Null means "cannot be determined": a specifier needing it then fails,
/// which sysupdate treats as a failed expansion of that assignment.
/// </summary>
/// <param name="Architecture">%a: systemd's name of the kernel's architecture (x86-64, arm64, ...).</param>
/// <param name="BootId">%b: the boot ID, 32 lower-case hex digits.</param>
/// <param name="Hostname">%H: the host name (%l is its part before the first dot).</param>
/// <param name="KernelRelease">%v: uname -r.</param>
/// <param name="MachineId">%m: ROOT/etc/machine-id, 32 lower-case hex digits.</param>
/// <param name="TmpDirectory">%T without --root: $TMPDIR, $TEMP or $TMP if usable, else /tmp.</param>
/// <param name="VarTmpDirectory">%V without --root: the same variables, else /var/tmp.</param>
public sealed record HostIdentity(
    string Architecture,
    string? BootId,
    string Hostname,
    string? KernelRelease,
    string? MachineId,
    string TmpDirectory,
    string VarTmpDirectory)
{
    /// <summary>%l: gethostname_short_malloc, the host name up to the first dot.</summary>
    public string ShortHostname => Hostname.Split('.', 2)[0];

    /// <summary>The variables %T and %V consult, in order (tmp_dir()/var_tmp_dir()).</summary>
    public static IReadOnlyList<string> TemporaryDirectoryVariables { get; } = ["TMPDIR", "TEMP", "TMP"];

    /// <summary>Reads the running system's identity; the machine ID comes from ROOT/etc/machine-id.</summary>
    /// <param name="temporaryDirectories">The set values of <see cref="TemporaryDirectoryVariables"/>, in order, as the program read them; none: /tmp and /var/tmp.</param>
    public static HostIdentity Detect(string root, IReadOnlyList<string>? temporaryDirectories = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        var machine = ReadProc("/proc/sys/kernel/arch");
        return new HostIdentity(
            Architecture: ArchitectureName(machine, RuntimeInformation.OSArchitecture),
            BootId: NormalizeId128(ReadProc("/proc/sys/kernel/random/boot_id")),
            Hostname: HostnameOrFallback(ReadProc("/proc/sys/kernel/hostname") ?? Environment.MachineName),
            KernelRelease: ReadProc("/proc/sys/kernel/osrelease"),
            MachineId: ReadMachineId(root),
            TmpDirectory: TemporaryDirectory(temporaryDirectories ?? [], "/tmp"),
            VarTmpDirectory: TemporaryDirectory(temporaryDirectories ?? [], "/var/tmp"));
    }

    /// <summary>
    /// systemd's architecture_to_string for a uname machine name (src/basic/architecture.c); when the
    /// kernel does not say, the process architecture .NET reports.
    /// </summary>
    public static string ArchitectureName(string? unameMachine, Architecture fallback)
    {
        switch (unameMachine)
        {
            case "x86_64":
                return "x86-64";
            case "i386" or "i486" or "i586" or "i686":
                return "x86";
            case "aarch64":
                return "arm64";
            case "aarch64_be":
                return "arm64-be";
            case "loongarch64":
                return "loongarch64";
            case "riscv32":
                return "riscv32";
            case "riscv64":
                return "riscv64";
            case "s390":
                return "s390";
            case "s390x":
                return "s390x";
            case "ppc64le":
                return "ppc64-le";
            case "ppc64":
                return "ppc64";
            case "ppc":
                return "ppc";
            case "ia64":
                return "ia64";
            case "parisc" or "parisc64":
                return "parisc";
            case "alpha":
                return "alpha";
            case "arc":
                return "arc";
            case "mips":
                return BitConverter.IsLittleEndian ? "mips-le" : "mips";
            case "mips64":
                return BitConverter.IsLittleEndian ? "mips64-le" : "mips64";
            case "tilegx":
                return "tilegx";
            case not null when unameMachine.StartsWith("armv", StringComparison.Ordinal)
                               || unameMachine.StartsWith("arm", StringComparison.Ordinal):
                return unameMachine.EndsWith('b') ? "arm-be" : "arm";
        }

        return fallback switch
        {
            System.Runtime.InteropServices.Architecture.X64 => "x86-64",
            System.Runtime.InteropServices.Architecture.X86 => "x86",
            System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
            System.Runtime.InteropServices.Architecture.Arm or System.Runtime.InteropServices.Architecture.Armv6 => "arm",
            System.Runtime.InteropServices.Architecture.LoongArch64 => "loongarch64",
            System.Runtime.InteropServices.Architecture.RiscV64 => "riscv64",
            System.Runtime.InteropServices.Architecture.S390x => "s390x",
            System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64-le",
            _ => fallback.ToString().ToLowerInvariant(),
        };
    }

    /// <summary>
    /// id128_read_fd(ID128_PLAIN) on ROOT/etc/machine-id: 32 hex digits and an optional newline; an
    /// all-zero or "uninitialized" ID counts as missing.
    /// </summary>
    public static string? ReadMachineId(string root) => ReadMachineIdFile(Path.Combine(root, "etc/machine-id"));

    /// <summary><see cref="ReadMachineId"/> on a file named directly.</summary>
    public static string? ReadMachineIdFile(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var text = File.ReadAllText(path);
        if (text.EndsWith('\n'))
        {
            text = text[..^1];
        }

        if (text.Length != 32 || !text.All(char.IsAsciiHexDigit) || text.All(c => c == '0'))
        {
            return null;
        }

        return text.ToLowerInvariant();
    }

    private static string? NormalizeId128(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var hex = text.Replace("-", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
        return hex.Length == 32 && hex.All(char.IsAsciiHexDigit) ? hex : null;
    }

    // gethostname_malloc falls back to the compiled-in default host name when the kernel has none.
    private static string HostnameOrFallback(string hostname) =>
        string.IsNullOrEmpty(hostname) || hostname == "(none)" ? "localhost" : hostname;

    // tmp_dir()/var_tmp_dir(): the first of $TMPDIR, $TEMP, $TMP that is an absolute, normalized path
    // naming an existing directory wins.
    private static string TemporaryDirectory(IReadOnlyList<string> candidates, string fallback)
    {
        foreach (var value in candidates)
        {
            if (!string.IsNullOrEmpty(value) && value.StartsWith('/') && !value.Contains("//", StringComparison.Ordinal)
                && !value.Split('/').Any(part => part is "." or "..") && Directory.Exists(value))
            {
                return value;
            }
        }

        return fallback;
    }

    /// <summary>
    /// A /proc/sys value: a line of a few dozen bytes (a host name is at most 64). One open and one
    /// read into the stack, not a FileStream and a StreamReader for each of four tiny files.
    /// </summary>
    private static string? ReadProc(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path);
            Span<byte> buffer = stackalloc byte[512];
            var length = RandomAccess.Read(handle, buffer, 0);
            return System.Text.Encoding.UTF8.GetString(buffer[..length]).Trim();
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
