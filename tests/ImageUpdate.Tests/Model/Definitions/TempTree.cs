using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Host;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Model.Definitions;

/// <summary>A temporary root directory for definition files (a <see cref="TempDirectory"/>), deleted on Dispose.</summary>
public sealed class TempTree : IDisposable
{
    private readonly TempDirectory _directory = new("iu-defs-");

    public string Root => _directory.Path;

    public static HostIdentity Host { get; } = new(
        Architecture: "x86-64",
        BootId: "0123456789abcdef0123456789abcdef",
        Hostname: "box.example.org",
        KernelRelease: "6.1.0-test",
        MachineId: "fedcba9876543210fedcba9876543210",
        TmpDirectory: "/tmp/env-tmp",
        VarTmpDirectory: "/var/env-tmp");

    public static SpecifierContext Specifiers(string? osRelease = "ID=debian\nVERSION_ID=12\nIMAGE_ID=demo\nIMAGE_VERSION=1.2\nBUILD_ID=b7\nVARIANT_ID=server\n", bool rootGiven = true) =>
        new(Host, () => osRelease is null ? null : OsRelease.Parse(osRelease), rootGiven);

    public string Write(string relativePath, string content)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public string Symlink(string relativePath, string target)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.CreateSymbolicLink(path, target);
        return path;
    }

    public DefinitionLoadOptions Options(string? component = null, bool warningsAreErrors = false, string? transferSource = null) => new()
    {
        Root = Root,
        Component = component,
        Specifiers = Specifiers(),
        WarningsAreErrors = warningsAreErrors,
        TransferSource = transferSource,
    };

    public DefinitionSet Load(string? component = null) => DefinitionLoader.Load(Options(component));

    public void Dispose() => _directory.Dispose();
}
