using ImageUpdate.Model.Conditions;
using ImageUpdate.Model.Host;

namespace ImageUpdate.Tests.Model.Conditions;

public sealed class ConditionEvaluatorTests
{
    private static readonly byte[] MachineId = Convert.FromHexString("1b8a1f5e0c6e4e0d9d1f6a2f3b4c5d6e");

    private static SystemFacts Facts => new()
    {
        MachineId = MachineId,
        Hostname = "Web01.example.com",
        Architecture = "x86-64",
        Virtualization = "kvm",
        VirtualizationKind = VirtualizationKind.VirtualMachine,
        KernelCommandLine = "BOOT_IMAGE=/vmlinuz root=/dev/sda1 quiet \"rd.opt=a b\"",
        KernelRelease = "6.12.3-amd64",
        MachineTags = "web:role=webserver:env=prod:env=test:-bad",
        OsRelease = new Dictionary<string, string> { ["ID"] = "debian", ["VERSION_ID"] = "13" },
        Security = new HashSet<string> { "apparmor" },
        Uefi = true,
        DeviceTreeCompatible = null,
        GlibcVersion = "2.41",
    };

    private static bool? Holds(ConditionKind kind, string parameter, bool negate = false) =>
        ConditionEvaluator.Test(new Condition(kind, parameter, Trigger: false, negate), Facts);

    // The points are HMAC-SHA256(machine ID, "systemd-fraction-TAG")[0..4] little-endian, computed
    // independently with Python's hmac; the differential test checks the same rule against 262.
    [Theory]
    [InlineData("", 1094135235u)]
    [InlineData("roll", 750964934u)]
    public void The_fraction_point_is_the_machine_keyed_hmac_of_the_tag(string tag, uint point) =>
        Assert.Equal(point, ConditionEvaluator.FractionPoint(MachineId, tag));

    [Theory]
    [InlineData("50%", true)] // 1094135235 < 2147483648
    [InlineData("25%", false)] // 1073741824 <= 1094135235
    [InlineData("25.48%", true)] // 25.48% of 2^32-1 is 1094358... above the point
    [InlineData("roll 17.5%", true)] // 751619276 > 750964934
    [InlineData("roll 17.48%", false)]
    [InlineData("0%", false)]
    [InlineData("100%", true)]
    [InlineData("1000‱", false)]
    [InlineData("255‰", true)]
    [InlineData("a b 50%", null)]
    [InlineData("50", null)]
    [InlineData("100.5%", null)]
    [InlineData("0.125%", null)]
    public void Fraction_holds_below_the_scaled_percentage(string parameter, bool? expected) =>
        Assert.Equal(expected, ConditionEvaluator.Fraction(parameter, MachineId));

    [Fact]
    public void Fraction_fails_without_a_machine_id_except_at_the_ends()
    {
        Assert.Null(ConditionEvaluator.Fraction("50%", null));
        Assert.Equal(false, ConditionEvaluator.Fraction("0%", null));
        Assert.Equal(true, ConditionEvaluator.Fraction("100%", null));
    }

    [Theory]
    [InlineData("50%", 5000)]
    [InlineData("0.5%", 50)]
    [InlineData("12.34%", 1234)]
    [InlineData("12.5‰", 125)]
    [InlineData("7‱", 7)]
    [InlineData("101%", null)]
    [InlineData("%", null)]
    [InlineData("1.%", null)]
    [InlineData("-1%", null)]
    public void Permyriads_are_read_as_systemd_reads_them(string text, int? expected) =>
        Assert.Equal(expected, SystemdPermyriad.Parse(text));

    [Fact]
    public void Permyriads_scale_to_32_bits_rounded_to_nearest()
    {
        Assert.Equal(2147483648u, SystemdPermyriad.ScaleToUInt32(5000));
        Assert.Equal(429497u, SystemdPermyriad.ScaleToUInt32(1));
        Assert.Equal(uint.MaxValue, SystemdPermyriad.ScaleToUInt32(10000));
    }

    [Theory]
    [InlineData(ConditionKind.Architecture, "x86-64", true)]
    [InlineData(ConditionKind.Architecture, "native", true)]
    [InlineData(ConditionKind.Architecture, "arm64", false)]
    [InlineData(ConditionKind.Host, "web*", true)] // case-folded glob over the host name
    [InlineData(ConditionKind.Host, "db*", false)]
    [InlineData(ConditionKind.Host, "1b8a1f5e0c6e4e0d9d1f6a2f3b4c5d6e", true)]
    [InlineData(ConditionKind.Host, "1b8a1f5e-0c6e-4e0d-9d1f-6a2f3b4c5d6e", true)]
    [InlineData(ConditionKind.Host, "00000000000000000000000000000001", false)]
    [InlineData(ConditionKind.Virtualization, "vm", true)]
    [InlineData(ConditionKind.Virtualization, "yes", true)]
    [InlineData(ConditionKind.Virtualization, "no", false)]
    [InlineData(ConditionKind.Virtualization, "kvm", true)]
    [InlineData(ConditionKind.Virtualization, "container", false)]
    [InlineData(ConditionKind.Firmware, "uefi", true)]
    [InlineData(ConditionKind.Firmware, "device-tree", false)]
    [InlineData(ConditionKind.KernelCommandLine, "quiet", true)]
    [InlineData(ConditionKind.KernelCommandLine, "root", true)]
    [InlineData(ConditionKind.KernelCommandLine, "root=/dev/sda1", true)]
    [InlineData(ConditionKind.KernelCommandLine, "root=/dev/sda2", false)]
    [InlineData(ConditionKind.KernelCommandLine, "rd.opt=a b", true)]
    [InlineData(ConditionKind.KernelCommandLine, "roo", false)]
    [InlineData(ConditionKind.Version, ">= 6.1", true)]
    [InlineData(ConditionKind.Version, "<6.1", false)]
    [InlineData(ConditionKind.Version, "kernel >= 6.12 < 7", true)]
    [InlineData(ConditionKind.Version, "6.12.*", true)]
    [InlineData(ConditionKind.Version, "systemd >= 262", true)]
    [InlineData(ConditionKind.Version, "systemd > 262", false)]
    [InlineData(ConditionKind.Security, "apparmor", true)]
    [InlineData(ConditionKind.Security, "selinux", false)]
    [InlineData(ConditionKind.OSRelease, "ID=debian", true)]
    [InlineData(ConditionKind.OSRelease, "ID!=debian", false)]
    [InlineData(ConditionKind.OSRelease, "VERSION_ID>=12", true)]
    [InlineData(ConditionKind.OSRelease, "ID$=deb*", true)]
    [InlineData(ConditionKind.OSRelease, "ID=debian VERSION_ID<13", false)]
    [InlineData(ConditionKind.OSRelease, "IMAGE_ID=", null)] // no value: an error, as in 262
    [InlineData(ConditionKind.OSRelease, "ID", null)]
    [InlineData(ConditionKind.Version, ">=", null)]
    [InlineData(ConditionKind.Version, "glibc >= 2", true)]
    [InlineData(ConditionKind.Version, "glibc >= 2.42", false)]
    [InlineData(ConditionKind.Firmware, "smbios-field(malformed)", null)]
    [InlineData(ConditionKind.Firmware, "smbios-field(bios_vendor = X)", false)]
    [InlineData(ConditionKind.Firmware, "bogus", false)]
    [InlineData(ConditionKind.Architecture, "nosuch", false)] // unknown to 262 too, and no error there
    [InlineData(ConditionKind.MachineTag, "web", true)]
    [InlineData(ConditionKind.MachineTag, "role=*", true)]
    [InlineData(ConditionKind.MachineTag, "role", false)]
    [InlineData(ConditionKind.MachineTag, "env=*", false)] // a key with two values is dropped
    [InlineData(ConditionKind.MachineTag, "-bad", false)] // not a valid tag
    public void Each_condition_tests_the_running_system(ConditionKind kind, string parameter, bool? expected) =>
        Assert.Equal(expected, Holds(kind, parameter));

    [Fact]
    public void A_test_that_cannot_run_is_an_error_negated_too()
    {
        Assert.Null(Holds(ConditionKind.Fraction, "bad"));
        Assert.Null(Holds(ConditionKind.Fraction, "bad", negate: true));
        Assert.True(Holds(ConditionKind.Architecture, "nosuch", negate: true));
        Assert.True(Holds(ConditionKind.Architecture, "arm64", negate: true));
    }

    [Fact]
    public void The_last_assignment_is_tested_first_and_an_error_there_decides()
    {
        var failing = new Condition(ConditionKind.Architecture, "arm64", false, false);
        var broken = new Condition(ConditionKind.Fraction, "bad", false, false);
        Assert.Null(ConditionEvaluator.Evaluate([failing, broken], Facts));
        Assert.False(ConditionEvaluator.Evaluate([broken, failing], Facts));
        Assert.Null(ConditionEvaluator.Evaluate([new Condition(ConditionKind.Architecture, "x86-64", true, false), broken], Facts));
    }

    [Fact]
    public void Credentials_are_files_in_the_credential_directories()
    {
        using var directory = new Support.TempDirectory();
        File.WriteAllText(directory["token"], "x");
        var facts = Facts with { CredentialDirectories = [directory.Path] };
        Assert.True(ConditionEvaluator.Test(new Condition(ConditionKind.Credential, "token", false, false), facts));
        Assert.False(ConditionEvaluator.Test(new Condition(ConditionKind.Credential, "other", false, false), facts));
        Assert.False(ConditionEvaluator.Test(new Condition(ConditionKind.Credential, "../token", false, false), facts));
    }

    [Fact]
    public void All_plain_conditions_and_one_trigger_must_hold()
    {
        Condition Arch(string a, bool trigger = false) => new(ConditionKind.Architecture, a, trigger, false);
        Assert.True(ConditionEvaluator.Evaluate([], Facts));
        Assert.True(ConditionEvaluator.Evaluate([Arch("x86-64"), Arch("arm64", true), Arch("x86-64", true)], Facts));
        Assert.False(ConditionEvaluator.Evaluate([Arch("arm64", true), Arch("s390x", true)], Facts));
        Assert.False(ConditionEvaluator.Evaluate([Arch("x86-64", true), Arch("arm64")], Facts));
    }

    [Fact]
    public void Suggest_wins_over_SuggestOn_and_nothing_suggests_nothing()
    {
        var never = new Condition(ConditionKind.Architecture, "arm64", false, false);
        Assert.True(new Suggestion(true, [never]).IsSuggested(() => Facts));
        Assert.False(new Suggestion(null, [never]).IsSuggested(() => Facts));
        Assert.False(Suggestion.None.IsSuggested(() => throw new InvalidOperationException("facts are not read when nothing is conditional")));
    }

    [Theory]
    [InlineData("web*", "WEB01", true, true)]
    [InlineData("web*", "WEB01", false, false)]
    [InlineData("a?c", "abc", false, true)]
    [InlineData("[!x]b", "ab", false, true)]
    [InlineData("[a-c]b", "db", false, false)]
    [InlineData("a\\*", "a*", false, true)]
    [InlineData("*/*", "a/b", false, true)]
    public void Globs_follow_fnmatch(string pattern, string text, bool fold, bool expected) =>
        Assert.Equal(expected, FnMatch.IsMatch(pattern, text, fold));
}
