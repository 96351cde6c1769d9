using ImageUpdate.Systemd.BootCounting;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Systemd.BootCounting;

/// <summary>An efivarfs directory and an ESP (and XBOOTLDR) in a temporary directory, as systemd-boot leaves them.</summary>
internal sealed class FakeBoot : IDisposable
{
    private readonly TempDirectory _dir = new();

    public FakeBoot()
    {
        Directory.CreateDirectory(EfiVars);
        Directory.CreateDirectory(Path.Combine(Esp, "EFI/Linux"));
        Directory.CreateDirectory(Path.Combine(Esp, "loader/entries"));
        Directory.CreateDirectory(Path.Combine(Xbootldr, "EFI/Linux"));
    }

    public string EfiVars => _dir["efivars"];

    public string Esp => _dir["esp"];

    public string Xbootldr => _dir["xbootldr"];

    public string Root => _dir.Path;

    public string Uki(string name) => Path.Combine(Esp, "EFI/Linux", name);

    public EfiVariables Variables => new(EfiVars);

    public IReadOnlyList<string> Roots => [Esp, Xbootldr];

    public FakeBoot Files(params string[] relativeToEsp)
    {
        foreach (var f in relativeToEsp)
        {
            var path = Path.Combine(Esp, f);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, f);
        }

        return this;
    }

    public FakeBoot Ukis(params string[] names) => Files(names.Select(n => "EFI/Linux/" + n).ToArray());

    public FakeBoot CountPath(string value) => Set("LoaderBootCountPath", value);

    public FakeBoot Selected(string value) => Set("LoaderEntrySelected", value);

    /// <summary>What systemd-boot leaves for a UKI booted with a counter.</summary>
    public FakeBoot BootedUki(string name) => CountPath(@"\EFI\Linux\" + name).Selected(name);

    public FakeBoot Set(string name, string value)
    {
        File.WriteAllBytes(Path.Combine(EfiVars, $"{name}-{EfiVariables.LoaderVendorGuid}"), EfiVariablesTests.Encode(value));
        return this;
    }

    public string[] UkiNames() => Directory.EnumerateFiles(Path.Combine(Esp, "EFI/Linux")).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();

    public void Dispose() => _dir.Dispose();
}
