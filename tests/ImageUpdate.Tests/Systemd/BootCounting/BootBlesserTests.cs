using ImageUpdate.Systemd.BootCounting;
using ImageUpdate.Tests.Systemd.Health;

namespace ImageUpdate.Tests.Systemd.BootCounting;

public sealed class BootBlesserTests : IDisposable
{
    private readonly FakeBoot _boot = new();
    private readonly RecordingLogger _log = new();

    public void Dispose() => _boot.Dispose();

    private BootEntry Locate() => BootEntryLocator.Locate(_boot.Variables, _boot.Roots);

    private BootBlesser Blesser => new(_log);

    [Fact]
    public void Good_drops_the_counter_and_twice_is_harmless()
    {
        _boot.Ukis("os_1.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");

        var first = Blesser.MarkGood(Locate());
        var second = Blesser.MarkGood(Locate());

        Assert.True(first.Renamed);
        Assert.False(second.Renamed);
        Assert.Equal(BootEntryState.Good, second.After.State);
        Assert.Equal(["os_1.efi", "os_2.efi"], _boot.UkiNames());
    }

    [Fact]
    public void Bad_sets_no_tries_left_keeping_the_tries_done_and_twice_is_harmless()
    {
        _boot.Ukis("os_1.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");

        Blesser.MarkBad(Locate());
        var second = Blesser.MarkBad(Locate());

        Assert.False(second.Renamed);
        Assert.Equal(BootEntryState.Bad, second.After.State);
        Assert.Equal(["os_1.efi", "os_2+0-1.efi"], _boot.UkiNames());
    }

    [Fact]
    public void Indeterminate_restores_the_booted_name_after_good_or_bad()
    {
        _boot.Ukis("os_1.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");

        Blesser.MarkGood(Locate());
        Blesser.MarkIndeterminate(Locate());
        Assert.Equal(["os_1.efi", "os_2+2-1.efi"], _boot.UkiNames());

        Blesser.MarkBad(Locate());
        Blesser.MarkIndeterminate(Locate());
        Assert.Equal(["os_1.efi", "os_2+2-1.efi"], _boot.UkiNames());
        Assert.Equal(BootEntryState.Indeterminate, Locate().State);
    }

    [Fact]
    public void Good_after_bad_renames_back()
    {
        _boot.Ukis("os_1.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");

        Blesser.MarkBad(Locate());
        Blesser.MarkGood(Locate());

        Assert.Equal(["os_1.efi", "os_2.efi"], _boot.UkiNames());
    }

    [Fact]
    public void An_entry_booted_on_its_last_try_cannot_be_reset_to_indeterminate_and_is_bad_already()
    {
        _boot.Ukis("os_1.efi", "os_2+0-3.efi").BootedUki("os_2+0-3.efi");

        var e = Assert.Throws<BootCountingException>(() => Blesser.MarkIndeterminate(Locate()));
        var bad = Blesser.MarkBad(Locate());

        Assert.Contains("os_2+0-3.efi' was booted on its last try", e.Message);
        Assert.False(bad.Renamed);
        Assert.Equal(["os_1.efi", "os_2+0-3.efi"], _boot.UkiNames());
    }

    [Fact]
    public void An_entry_without_a_counter_is_already_good_and_left_alone()
    {
        _boot.Ukis("os_1.efi").Selected("os_1.efi");

        var good = Blesser.MarkGood(Locate());
        var indeterminate = Blesser.MarkIndeterminate(Locate());

        Assert.False(good.Renamed);
        Assert.False(indeterminate.Renamed);
        Assert.Equal(["os_1.efi"], _boot.UkiNames());
        Assert.Equal(BootEntryState.Clean, Locate().State);
    }

    [Fact]
    public void Bad_on_an_entry_without_a_counter_gives_it_no_tries_left()
    {
        _boot.Ukis("os_1.efi", "os_2.efi").Selected("os_2.efi");

        Blesser.MarkBad(Locate());

        Assert.Equal(["os_1.efi", "os_2+0.efi"], _boot.UkiNames());
        Assert.Equal(BootEntryState.Bad, Locate().State);
    }

    [Theory]
    [InlineData("")]
    [InlineData("os_1+0-3.efi")]
    [InlineData("os_1+0.efi .os_1.efi notes.txt")]
    public void The_only_remaining_good_entry_is_never_marked_bad(string others)
    {
        _boot.Ukis([.. others.Split(' ', StringSplitOptions.RemoveEmptyEntries), "os_2+2-1.efi"]).BootedUki("os_2+2-1.efi");

        var e = Assert.Throws<BootCountingException>(() => Blesser.MarkBad(Locate()));

        Assert.Contains($"Refusing to mark '{_boot.Uki("os_2+2-1.efi")}' bad", e.Message);
        Assert.Contains("only entry", e.Message);
        Assert.Contains("os_2+2-1.efi", string.Join(' ', _boot.UkiNames()));
    }

    [Theory]
    [InlineData("os_1.efi")]
    [InlineData("os_3+1-2.efi")]
    [InlineData("os_3+1.EFI")]
    public void Another_good_or_still_counting_entry_lets_bad_through(string other)
    {
        _boot.Ukis(other, "os_2+2-1.efi").BootedUki("os_2+2-1.efi");

        Assert.True(Blesser.MarkBad(Locate()).Renamed);
    }

    [Theory]
    [InlineData("os_1+0-3.efi os_2+0-1.efi", false)]
    [InlineData("os_1+0-3.efi .os_1.efi os_2+0-1.efi", false)]
    [InlineData("os_1.efi os_2+0-1.efi", true)]
    public void Whether_anything_else_would_boot_decides_if_an_unhealthy_last_try_reboots(string files, bool expected)
    {
        // bless --reboot does not reboot when this is false: the boot loader would start the same entry again.
        _boot.Ukis(files.Split(' ')).BootedUki("os_2+0-1.efi");

        Assert.Equal(expected, BootBlesser.HasAnotherBootableEntry(Locate()));
    }

    [Fact]
    public void When_both_names_exist_nothing_is_replaced_and_the_verdict_is_refused()
    {
        _boot.Ukis("os_1.efi", "os_2+2-1.efi", "os_2.efi").BootedUki("os_2+2-1.efi");

        // Claiming "good" would be false: the boot loader still sees os_2+2-1.efi counting down.
        var e = Assert.Throws<BootCountingException>(() => Blesser.MarkGood(Locate()));

        Assert.Contains("os_2+2-1.efi", e.Message);
        Assert.Contains("os_2.efi' exists too", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(["os_1.efi", "os_2+2-1.efi", "os_2.efi"], _boot.UkiNames());
        Assert.Equal("EFI/Linux/os_2.efi", File.ReadAllText(_boot.Uki("os_2.efi")));
    }
}
