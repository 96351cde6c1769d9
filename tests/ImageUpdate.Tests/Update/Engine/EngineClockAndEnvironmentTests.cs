using System.Security.Cryptography;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Host;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Engine;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Tests.Update.Engine;

/// <summary>
/// The engine judges time by the services record's clock and reads the environment only as the
/// caller hands it in (<see cref="EngineOptions.Environment"/>): a manifest's BEST-BEFORE date is
/// past or not as a fake <see cref="TimeProvider"/> says, the freshness override and
/// $SYSTEMD_ESP_PATH reach their users from a <see cref="HostEnvironment"/>, not the process.
/// </summary>
public sealed class EngineClockAndEnvironmentTests : IDisposable
{
    private static readonly DateTimeOffset BestBefore = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Before_the_best_before_day_by_the_services_clock_the_manifest_is_fresh()
    {
        var root = UrlTree();

        using var engine = Engine(root, BestBefore.AddDays(-1));
        Assert.Equal("2", await engine.CheckNewAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Past_the_best_before_day_by_the_services_clock_the_manifest_is_refused()
    {
        var root = UrlTree();

        using var engine = Engine(root, BestBefore.AddHours(1));
        var e = await Assert.ThrowsAnyAsync<ImageUpdateException>(() => engine.CheckNewAsync(CancellationToken.None));
        Assert.Contains("best-before", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_freshness_override_comes_from_the_handed_in_environment()
    {
        var root = UrlTree();

        using var engine = Engine(root, BestBefore.AddDays(30), (ImageUpdate.Formats.Verification.Sha256Manifest.VerifyFreshnessVariable, "0"));
        Assert.Equal("2", await engine.CheckNewAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_esp_override_comes_from_the_handed_in_environment()
    {
        var root = EspTree();

        using (var engine = Engine(root, DateTimeOffset.UnixEpoch))
        {
            var e = await Assert.ThrowsAsync<UpdateException>(() => engine.UpdateAsync(null, UpdateActions.All, CancellationToken.None));
            Assert.StartsWith("Cannot find the EFI System Partition (ESP)", e.Message, StringComparison.Ordinal);
        }

        using (var engine = Engine(root, DateTimeOffset.UnixEpoch, (BootPartitionOverrides.EspVariable, "/firmware")))
        {
            await engine.UpdateAsync(null, UpdateActions.All, CancellationToken.None);
        }

        Assert.Equal("uki 2", File.ReadAllText(Path.Combine(root, "firmware/EFI/Linux/os_2.efi")));
    }

    [Fact]
    public void The_host_environment_names_the_variables_the_library_honoured_itself_before()
    {
        var environment = new HostEnvironment(new Dictionary<string, string>
        {
            ["SYSTEMD_ESP_PATH"] = "/esp",
            ["SYSTEMD_XBOOTLDR_PATH"] = "",
            ["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=/tmp/bus",
            ["IMAGE_UPDATE_TEST_SYSTEMD_RUNNING"] = "0",
            ["TMPDIR"] = "/scratch",
            ["TMP"] = "/other",
        });

        Assert.Equal(new BootPartitionOverrides("/esp", null), environment.BootPartitions);
        Assert.Equal("unix:path=/tmp/bus", environment.SystemBus);
        Assert.Equal(ImageUpdate.Platform.DBus.BusAddress.DefaultSystemBus, HostEnvironment.Empty.SystemBus);
        Assert.Equal("0", environment.SystemdRunningOverride);
        Assert.False(ImageUpdate.Systemd.Power.SystemdPresence.IsRunning(environment.SystemdRunningOverride));
        Assert.True(ImageUpdate.Systemd.Power.SystemdPresence.IsRunning("1"));
        Assert.Equal(["/scratch", "/other"], environment.TemporaryDirectories);
    }

    /// <summary>An OS tree at version 1 whose url-file transfer reads an unsigned manifest (BEST-BEFORE 2030-01-01) offering 2.</summary>
    private string UrlTree()
    {
        var root = _dir["url-root"];
        var server = _dir["server"];
        Directory.CreateDirectory(Path.Combine(root, "usr/lib/sysupdate.d"));
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        Directory.CreateDirectory(Path.Combine(root, "opt/app"));
        Directory.CreateDirectory(server);
        File.WriteAllText(Path.Combine(root, "etc/os-release"), "ID=demo\nIMAGE_VERSION=1\n");
        File.WriteAllText(Path.Combine(root, "opt/app/app_1.bin"), "1");
        File.WriteAllText(Path.Combine(root, "usr/lib/sysupdate.d/app.transfer"), $"""
            [Transfer]
            Verify=no

            [Source]
            Type=url-file
            Path=file://{server}
            MatchPattern=app_@v.bin

            [Target]
            Type=regular-file
            Path=/opt/app
            MatchPattern=app_@v.bin
            """);
        File.WriteAllText(Path.Combine(server, "app_2.bin"), "2");
        var empty = Convert.ToHexStringLower(SHA256.HashData([]));
        var payload = Convert.ToHexStringLower(SHA256.HashData("2"u8));
        File.WriteAllText(Path.Combine(server, "SHA256SUMS"), $"{payload}  app_2.bin\n{empty}  BEST-BEFORE-{BestBefore:yyyy-MM-dd}\n");
        return root;
    }

    /// <summary>An OS tree whose UKI transfer writes to the ESP, which is at /firmware: no place the locator looks by itself.</summary>
    private string EspTree()
    {
        var root = _dir["esp-root"];
        Directory.CreateDirectory(Path.Combine(root, "usr/lib/sysupdate.d"));
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        Directory.CreateDirectory(Path.Combine(root, "firmware/EFI/Linux"));
        Directory.CreateDirectory(Path.Combine(root, "srv/source"));
        File.WriteAllText(Path.Combine(root, "etc/os-release"), "ID=demo\nIMAGE_VERSION=1\n");
        File.WriteAllText(Path.Combine(root, "srv/source/os_2.efi"), "uki 2");
        File.WriteAllText(Path.Combine(root, "usr/lib/sysupdate.d/uki.transfer"), """
            [Source]
            Type=regular-file
            Path=/srv/source
            MatchPattern=os_@v.efi

            [Target]
            Type=regular-file
            Path=/EFI/Linux
            PathRelativeTo=esp
            MatchPattern=os_@v.efi
            """);
        return root;
    }

    private static UpdateEngine Engine(string root, DateTimeOffset now, params (string Name, string Value)[] variables)
    {
        var environment = new Dictionary<string, string> { [HostEnvironment.LockPathVariable] = Path.Combine(root, "image-update.lock") };
        foreach (var (name, value) in variables)
        {
            environment[name] = value;
        }

        return new UpdateEngine(
            new EngineOptions { Root = root, Environment = new HostEnvironment(environment) },
            NullLogger.Instance,
            services: new EngineServices { Clock = new FixedClock(now) });
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
