using System.Globalization;
using System.Security.Cryptography;
using ImageUpdate.Tests.Platform.DBus;
using ImageUpdate.Tests.Platform.Transport;
using ImageUpdate.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace ImageUpdate.Tests.Systemd.Service;

/// <summary>
/// The real `image-update serve` on a private system-like bus (with the shipped policy), driven by
/// busctl and python3-dbus clients as a software centre would: targets, check-new, an update whose
/// Progress rises to JobRemoved(status 0), root-only writes, the busy error and Cancel. Versions come
/// from a local HTTP server (url-file, Verify=no) that sends the payload slowly, or not at all.
/// </summary>
public sealed class ServeTests : IDisposable
{
    private const int PayloadSize = 4 << 20;

    private ServiceBus? _bus;
    private readonly byte[] _payload = RandomNumberGenerator.GetBytes(PayloadSize);

    public void Dispose() => _bus?.Dispose();

    /// <summary>The private bus, started on first use (after each test has checked for dbus-daemon).</summary>
    private ServiceBus Bus => _bus ??= new ServiceBus();

    [Fact]
    public async Task Busctl_lists_the_host_target_reads_its_properties_and_checks_for_a_new_version()
    {
        DBusTestTools.RequireBusctl();
        RequireRoot();

        await using var serve = await ServeProcess.StartAsync(Bus, DefineLocal());

        Assert.Equal("a(sso) 1 \"host\" \"host\" \"/org/freedesktop/sysupdate1/target/host\"", Busctl("call", "/org/freedesktop/sysupdate1", "org.freedesktop.sysupdate1.Manager", "ListTargets"));
        Assert.Equal("s \"host\"", Busctl("get-property", "/org/freedesktop/sysupdate1/target/host", "org.freedesktop.sysupdate1.Target", "Class"));
        Assert.Equal("s \"2\"", Busctl("call", "/org/freedesktop/sysupdate1/target/host", "org.freedesktop.sysupdate1.Target", "CheckNew"));
        Assert.Equal("as 2 \"2\" \"1\"", Busctl("call", "/org/freedesktop/sysupdate1/target/host", "org.freedesktop.sysupdate1.Target", "List", "t", "0"));
        Assert.Equal("as 1 \"1\"", Busctl("call", "/org/freedesktop/sysupdate1/target/host", "org.freedesktop.sysupdate1.Target", "List", "t", "1"));
        Assert.Equal("s \"1\"", Busctl("call", "/org/freedesktop/sysupdate1/target/host", "org.freedesktop.sysupdate1.Target", "GetVersion"));
        Assert.Contains("\\\"version\\\":\\\"2\\\",\\\"newest\\\":true,\\\"available\\\":true,\\\"installed\\\":false", Busctl("call", "/org/freedesktop/sysupdate1/target/host", "org.freedesktop.sysupdate1.Target", "Describe", "st", "2", "0"));
        Assert.Equal("a(tsuo) 0", Busctl("call", "/org/freedesktop/sysupdate1", "org.freedesktop.sysupdate1.Manager", "ListJobs"));

        var introspection = Busctl("introspect", "/org/freedesktop/sysupdate1/target/host");
        Assert.Matches(@"\.Update\s+method\s+st\s+sto", introspection);
        Assert.Matches(@"\.SetFeatureEnabled\s+method\s+sit\s+-", introspection);
        Assert.Matches(@"\.Path\s+property\s+s\s+""" + Regex(Bus.Directory["defs"]), introspection);
        Assert.Matches(@"\.JobRemoved\s+signal\s+toi", Busctl("introspect", "/org/freedesktop/sysupdate1"));
    }

    [Fact]
    public async Task A_python_client_updates_watches_progress_rise_and_gets_JobRemoved_with_status_0()
    {
        DBusTestTools.RequirePython();
        RequireRoot();

        await using var serve = await ServeProcess.StartAsync(Bus, DefineLocal());

        var lines = RunPython(ServiceScripts.Update, asNobody: false, serve);

        Assert.Equal("update 2 1 /org/freedesktop/sysupdate1/job/_1", lines[0]);
        var progress = lines[1].Split(' ').Skip(1).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList();
        Assert.True(progress.Count >= 4, $"too few Progress changes: {lines[1]}");
        Assert.Equal(progress.Order(), progress);
        Assert.Equal(progress.Count, progress.Distinct().Count());
        Assert.True(progress[0] < 100, lines[1]);
        Assert.Equal(100, progress[^1]);
        Assert.Equal("removed 0", lines[2]);

        // As sysupdated: a finished job's path has no object any more.
        Assert.Equal("cancel org.freedesktop.DBus.Error.UnknownObject No object at /org/freedesktop/sysupdate1/job/_1.", lines[3]);
        Assert.Equal("get org.freedesktop.DBus.Error.UnknownObject No object at /org/freedesktop/sysupdate1/job/_1.", lines[4]);
        Assert.Equal(_payload, File.ReadAllBytes(Bus.Directory["target/app_2.bin"]));
    }

    [Fact]
    public async Task A_caller_other_than_root_may_list_and_check_but_is_refused_update_and_vacuum()
    {
        DBusTestTools.RequirePython();
        RequireRoot();
        TestEnvironment.Require(DBusTestTools.Find("setpriv") is not null, "'setpriv' is not installed (util-linux)");

        await using var serve = await ServeProcess.StartAsync(Bus, DefineLocal());

        var lines = RunPython(ServiceScripts.ReadThenWrite, asNobody: true, serve);

        Assert.Equal(["list 2,1", "checknew 2"], lines[..2]);
        Assert.Equal("update org.freedesktop.DBus.Error.AccessDenied Only root may update (the caller is uid 65534): image-update serve has no polkit.", lines[2]);
        Assert.StartsWith("vacuum org.freedesktop.DBus.Error.AccessDenied Only root may vacuum", lines[3], StringComparison.Ordinal);
        Assert.Equal(4, lines.Length);
        Assert.False(File.Exists(Bus.Directory["target/app_2.bin"]));
    }

    [Fact]
    public async Task A_second_update_while_one_runs_is_busy_and_Cancel_ends_the_first_with_ECANCELED()
    {
        DBusTestTools.RequirePython();
        RequireRoot();

        await using var server = await StartHangingServerAsync();
        await using var serve = await ServeProcess.StartAsync(Bus, Define($"Type=url-file\nPath={server.BaseAddress.ToString().TrimEnd('/')}"));

        var lines = RunPython(ServiceScripts.BusyThenCancel, asNobody: false, serve);

        Assert.Equal(["update 1", "second System.Error.EBUSY", "feature System.Error.EBUSY", "jobs update:1", "type update", "removed -125"], lines);
        Assert.False(File.Exists(Bus.Directory["target/app_2.bin"]));
        Assert.Empty(Directory.GetFiles(Bus.Directory["target"], ".#*"));
    }

    [Fact]
    public async Task Describe_returns_what_list_VERSION_json_short_prints_and_an_installed_version_is_NoCandidate()
    {
        DBusTestTools.RequirePython();
        RequireRoot();

        var definitions = DefineLocal();
        await using var serve = await ServeProcess.StartAsync(Bus, definitions);

        var lines = RunPython(ServiceScripts.DescribeAndNoCandidate, asNobody: false, serve);
        var cli = await ImageUpdateProcess.RunAsync(null, "--definitions", definitions, "--json=short", "list", "2");

        Assert.Equal(0, cli.ExitCode);
        Assert.Equal("describe " + cli.Stdout.TrimEnd('\n'), lines[0]);
        Assert.Equal("update-installed org.freedesktop.sysupdate1.NoCandidate", lines[1]);
    }

    [Fact]
    public async Task Features_are_listed_described_as_the_CLI_does_and_switched_by_root_with_a_drop_in()
    {
        DBusTestTools.RequirePython();
        RequireRoot();

        var root = Bus.Directory["root"];
        Directory.CreateDirectory(Path.Combine(root, "usr/lib/sysupdate.d"));
        Directory.CreateDirectory(Path.Combine(root, "srv/source"));
        Directory.CreateDirectory(Path.Combine(root, "srv/target"));
        File.WriteAllText(Path.Combine(root, "usr/lib/sysupdate.d/10-app.transfer"), "[Transfer]\nFeatures=extra\n\n[Source]\nType=regular-file\nPath=/srv/source\nMatchPattern=app_@v.bin\n\n[Target]\nType=regular-file\nPath=/srv/target\nMatchPattern=app_@v.bin\n");
        File.WriteAllText(Path.Combine(root, "usr/lib/sysupdate.d/extra.feature"), "[Feature]\nDescription=Extra things\nEnabled=no\n");
        var dropIn = Path.Combine(root, "etc/sysupdate.d/extra.feature.d/50-systemd-sysupdate-enabled.conf");
        await using var serve = await ServeProcess.StartWithOptionsAsync(Bus, ["--root", root]);

        var script = Bus.Directory["features.py"];
        File.WriteAllText(script, ServiceScripts.Features);
        var (code, stdout, stderr) = DBusTestTools.Run(DBusTestTools.PythonWithDBus!, [script, Bus.Address, dropIn], TimeSpan.FromSeconds(60));
        var cli = await ImageUpdateProcess.RunAsync(null, "--root", root, "--json=short", "features", "extra");

        Assert.True(code == 0, $"{stderr}\n{serve.Log}");
        Assert.Equal(
            ["features extra", "describe " + cli.Stdout.TrimEnd('\n'), "set 1 Enabled=yes", "set 0 Enabled=no", "set -1 absent"],
            stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static string Regex(string text) => System.Text.RegularExpressions.Regex.Escape(text);

    private static void RequireRoot() => TestEnvironment.RequireRoot("update test (serve only lets root write, and the non-root caller is uid 65534)");

    private string Busctl(params string[] arguments)
    {
        var command = arguments[0];
        var rest = arguments.Skip(1);
        var (code, stdout, stderr) = DBusTestTools.Run("busctl", new[] { "--address=" + Bus.Address, command, "org.freedesktop.sysupdate1" }.Concat(rest));
        Assert.True(code == 0, $"busctl {string.Join(' ', arguments)}: {stderr}");
        return stdout.Trim();
    }

    private string[] RunPython(string script, bool asNobody, ServeProcess serve)
    {
        var path = Bus.Directory["client.py"];
        File.WriteAllText(path, script);
        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
        string[] command = asNobody
            ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", DBusTestTools.PythonWithDBus!, path, Bus.Address]
            : [DBusTestTools.PythonWithDBus!, path, Bus.Address];
        var (code, stdout, stderr) = DBusTestTools.Run(command[0], command.Skip(1), TimeSpan.FromSeconds(90));
        Assert.True(code == 0, $"python3 client failed ({code}): {stderr}\nstdout: {stdout}\nserve log:\n{serve.Log}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>
    /// Version 1 installed, version 2 in a local source directory, in four transfers (app, and
    /// part1..3 of 1 MiB): a regular-file copy reports its progress when it completes, so four
    /// transfers make four Progress steps. Returns the definitions directory.
    /// </summary>
    private string DefineLocal()
    {
        var source = Directory.CreateDirectory(Bus.Directory["source"]).FullName;
        File.WriteAllText(Path.Combine(source, "app_1.bin"), "one");
        File.WriteAllBytes(Path.Combine(source, "app_2.bin"), _payload);
        var definitions = Define($"Type=regular-file\nPath={source}");
        for (var i = 1; i <= 3; i++)
        {
            File.WriteAllText(Path.Combine(source, $"part{i}_1.bin"), "one");
            File.WriteAllBytes(Path.Combine(source, $"part{i}_2.bin"), RandomNumberGenerator.GetBytes(1 << 20));
            File.WriteAllText(Bus.Directory[$"target/part{i}_1.bin"], "one");
            File.WriteAllText(Path.Combine(definitions, $"part{i}.transfer"), $"""
                [Transfer]
                Verify=no

                [Source]
                Type=regular-file
                Path={source}
                MatchPattern=part{i}_@v.bin

                [Target]
                Type=regular-file
                Path={Bus.Directory["target"]}
                MatchPattern=part{i}_@v.bin
                """);
        }

        return definitions;
    }

    /// <summary>Version 1 installed; versions from the given [Source] lines; returns the definitions directory.</summary>
    private string Define(string source)
    {
        var dir = Bus.Directory;
        Directory.CreateDirectory(dir["defs"]);
        Directory.CreateDirectory(dir["target"]);
        File.WriteAllText(dir["target/app_1.bin"], "one");
        File.WriteAllText(dir["defs/app.transfer"], $"""
            [Transfer]
            Verify=no

            [Source]
            {source}
            MatchPattern=app_@v.bin

            [Target]
            Type=regular-file
            Path={dir["target"]}
            MatchPattern=app_@v.bin
            """);
        return dir["defs"];
    }

    /// <summary>An update server (url-file, Verify=no) whose SHA256SUMS offers app_2 but which sends one chunk of it and then nothing until the test ends.</summary>
    private Task<TestHttpServer> StartHangingServerAsync()
    {
        var sums = $"{Convert.ToHexStringLower(SHA256.HashData("one"u8))}  app_1.bin\n{Convert.ToHexStringLower(SHA256.HashData(_payload))}  app_2.bin\n";
        return TestHttpServer.StartAsync(async (context, stopping) =>
        {
            switch (context.Request.Path.Value)
            {
                case "/SHA256SUMS":
                    await context.Response.WriteAsync(sums, stopping);
                    break;
                case "/app_2.bin":
                    context.Response.ContentLength = _payload.Length;
                    await context.Response.Body.WriteAsync(_payload.AsMemory(0, 64 << 10), stopping);
                    await context.Response.Body.FlushAsync(stopping);
                    await Task.Delay(Timeout.InfiniteTimeSpan, stopping);
                    break;
                default:
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    break;
            }
        });
    }
}
