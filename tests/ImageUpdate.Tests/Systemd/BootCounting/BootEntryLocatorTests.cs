using ImageUpdate.Systemd.BootCounting;

namespace ImageUpdate.Tests.Systemd.BootCounting;

public sealed class BootEntryLocatorTests : IDisposable
{
    private readonly FakeBoot _boot = new();

    public void Dispose() => _boot.Dispose();

    private BootEntry Locate() => BootEntryLocator.Locate(_boot.Variables, _boot.Roots);

    [Fact]
    public void LoaderBootCountPath_names_the_entry_and_its_counter()
    {
        _boot.Ukis("os_1.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");

        var entry = Locate();

        Assert.Equal(Path.Combine(_boot.Esp, "EFI/Linux"), entry.Directory);
        Assert.Equal("os_2+2-1.efi", entry.CurrentFileName);
        Assert.Equal(2ul, entry.Booted.TriesLeft);
        Assert.Equal(BootEntryState.Indeterminate, entry.State);
    }

    [Theory]
    [InlineData("os_2.efi", BootEntryState.Good)]
    [InlineData("os_2+0-1.efi", BootEntryState.Bad)]
    public void An_entry_already_renamed_by_a_verdict_is_found_under_its_new_name(string onDisk, BootEntryState state)
    {
        _boot.Ukis(onDisk).BootedUki("os_2+2-1.efi");

        var entry = Locate();

        Assert.Equal(onDisk, entry.CurrentFileName);
        Assert.Equal(state, entry.State);
    }

    [Fact]
    public void An_entry_booted_on_its_last_try_is_dirty()
    {
        _boot.Ukis("os_2+0-3.efi").BootedUki("os_2+0-3.efi");

        Assert.Equal(BootEntryState.Dirty, Locate().State);
    }

    [Fact]
    public void The_entry_may_be_on_the_XBOOTLDR_partition()
    {
        File.WriteAllText(Path.Combine(_boot.Xbootldr, "EFI/Linux/os_3+1.efi"), "");
        _boot.CountPath(@"\EFI\Linux\os_3+1.efi");

        Assert.Equal(Path.Combine(_boot.Xbootldr, "EFI/Linux/os_3+1.efi"), Locate().CurrentPath);
    }

    [Fact]
    public void A_Type_1_entry_is_found_in_loader_entries()
    {
        _boot.Files("loader/entries/os-2+1-2.conf").CountPath("/loader/entries/os-2+1-2.conf");

        Assert.Equal(Path.Combine(_boot.Esp, "loader/entries/os-2+1-2.conf"), Locate().CurrentPath);
    }

    [Theory]
    [InlineData("os_1.efi", "EFI/Linux/os_1.efi")]
    [InlineData("os_1.conf", "loader/entries/os_1.conf")]
    [InlineData("os_1", "loader/entries/os_1.conf")]
    public void Without_a_counter_LoaderEntrySelected_names_the_entry_and_it_is_clean(string selected, string file)
    {
        _boot.Files(file).Selected(selected);

        var entry = Locate();

        Assert.Equal(Path.Combine(_boot.Esp, file), entry.CurrentPath);
        Assert.Equal(BootEntryState.Clean, entry.State);
        Assert.False(entry.Booted.HasCounter);
    }

    [Theory]
    [InlineData("MyOS_2.efi", BootEntryState.Clean)]
    [InlineData("MyOS_2+0.efi", BootEntryState.Bad)]
    public void A_lowercased_identifier_finds_the_entry_under_its_name_on_disk(string onDisk, BootEntryState state)
    {
        _boot.Ukis(onDisk).Selected("myos_2.efi");

        var entry = Locate();

        Assert.Equal(onDisk, entry.CurrentFileName);
        Assert.Equal("MyOS_2.efi", entry.Booted.FileName);
        Assert.Equal(state, entry.State);
    }

    [Fact]
    public void A_selected_identifier_without_extension_may_be_a_UKI()
    {
        _boot.Ukis("os_1.efi").Selected("os_1");

        Assert.Equal(_boot.Uki("os_1.efi"), Locate().CurrentPath);
    }

    [Theory]
    [InlineData(@"EFI\Linux\os+1.efi", "is not a normalized absolute path")]
    [InlineData(@"\EFI\..\Linux\os+1.efi", "is not a normalized absolute path")]
    [InlineData(@"\EFI\\Linux\os+1.efi", "is not a normalized absolute path")]
    [InlineData(@"\EFI\Linux\.\os+1.efi", "is not a normalized absolute path")]
    [InlineData(@"\EFI\Linux\", "is not a normalized absolute path")]
    [InlineData(@"\EFI\Linux\os.efi", "does not contain a boot counter")]
    [InlineData(@"\EFI\Linux\os+.efi", "malformed boot counter")]
    public void A_bad_LoaderBootCountPath_is_refused_naming_the_variable(string value, string fragment)
    {
        _boot.CountPath(value);

        var e = Assert.Throws<BootCountingException>(Locate);

        Assert.Contains(fragment, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void An_entry_found_nowhere_is_an_error_naming_where_it_looked()
    {
        _boot.BootedUki("os_9+1-1.efi");

        var e = Assert.Throws<BootCountingException>(Locate);

        Assert.Contains("'EFI/Linux/os_9+1-1.efi'", e.Message);
        Assert.Contains("LoaderBootCountPath-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f", e.Message);
        Assert.Contains(_boot.Esp, e.Message);
        Assert.Contains(_boot.Xbootldr, e.Message);
    }

    [Fact]
    public void A_selected_entry_with_a_slash_is_refused()
    {
        _boot.Selected("../os.efi");

        Assert.Contains("is not a file name", Assert.Throws<BootCountingException>(Locate).Message);
    }

    [Fact]
    public void No_loader_variables_or_no_efivars_is_an_error()
    {
        Assert.Contains("Neither LoaderBootCountPath nor LoaderEntrySelected", Assert.Throws<BootCountingException>(Locate).Message);

        var e = Assert.Throws<BootCountingException>(() => BootEntryLocator.Locate(new EfiVariables(Path.Combine(_boot.Root, "none")), _boot.Roots));
        Assert.Contains("No EFI variables in", e.Message);
    }
}
