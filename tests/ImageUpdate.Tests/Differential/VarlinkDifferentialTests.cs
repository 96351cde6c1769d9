using System.Text.Json;
using System.Text.Json.Nodes;
using ImageUpdate.Tests.Oracle;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Differential;

/// <summary>
/// io.systemd.SysUpdate against systemd-sysupdate 262: 262's own `varlinkctl`, inside the 262 chroot,
/// calls the real systemd-sysupdate and image-update as `varlinkctl call exec:PROGRAM` on the same
/// definitions (the native image-update bind-mounted into the chroot in a private mount namespace,
/// with a tmpfs /run, /proc and a private system bus that 262's polkit check opens), and every reply must be the same: ListTargets, ListFeatures, CheckNew with an update, with
/// none and with bad or unknown targets, unknown methods and parameters, GetInfo's interfaces and
/// the interface's introspection (comments aside: ours are our own words); and served as
/// systemd-sysupdate.socket starts it (systemd-socket-activate --accept --fdname=varlink). And the
/// update-notification callout: a recorder socket in /run/systemd/sysupdate/notify/ gets the same one
/// OnCompletedUpdate call from both after a real update, and none after a no-op. 257 has neither.
/// </summary>
public sealed class VarlinkDifferentialTests(ITestOutputHelper output)
{
    private const string Script = """
        set -eu
        C="$1"; P="$2"
        mount -t tmpfs tmpfs "$C/run"
        mount -t proc proc "$C/proc"
        mkdir -p "$C/run/dbus" "$C/run/iu" "$C/run/sysupdate.d" "$C/run/sysupdate.extra.d" "$C/run/t/src" "$C/run/t/dst" "$C/run/t/extra"
        mount --bind "$PROGRAM_DIR" "$C/run/iu"
        chroot "$C" dbus-daemon --system --fork --print-pid >"$C/run/dbus.pid"
        trap 'kill "$(cat "$C/run/dbus.pid")" 2>/dev/null || true' EXIT
        echo a >"$C/run/t/src/foo-1.bin"; echo b >"$C/run/t/src/foo-2.bin"; echo a >"$C/run/t/dst/foo-1.bin"
        (cd "$C/run/t/src" && sha256sum foo-*.bin >SHA256SUMS)
        printf '[Source]\nType=url-file\nPath=file:///run/t/src\nMatchPattern=foo-@v.bin\n[Target]\nType=regular-file\nPath=/run/t/dst\nMatchPattern=foo-@v.bin\n' >"$C/run/sysupdate.d/10-foo.transfer"
        printf '[Feature]\nDescription=Optional Feature\nDocumentation=https://example.com/doc\nAppStream=https://example.com/as.xml\n' >"$C/run/sysupdate.d/opt.feature"
        printf '[Transfer]\nFeatures=opt\n[Source]\nType=url-file\nPath=file:///run/t/src\nMatchPattern=foo-@v.bin\n[Target]\nType=regular-file\nPath=/run/t/opt\nMatchPattern=foo-@v.bin\n' >"$C/run/sysupdate.d/20-opt.transfer"
        printf '[Source]\nType=url-file\nPath=file:///run/t/src\nMatchPattern=foo-@v.bin\n[Target]\nType=regular-file\nPath=/run/t/extra\nMatchPattern=foo-@v.bin\n' >"$C/run/sysupdate.extra.d/10-extra.transfer"
        call() {
            name="$1"; shift
            echo "### $name"
            rc=0
            chroot "$C" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root SYSTEMD_SYSUPDATE_NO_VERIFY=1 \
                varlinkctl "$@" 2>"$C/run/stderr" || rc=$?
            echo "rc=$rc"
            grep '^Method call' "$C/run/stderr" || true
        }
        x=exec:"$P"
        call ListTargets call "$x" io.systemd.SysUpdate.ListTargets '{}'
        call ListFeatures call "$x" io.systemd.SysUpdate.ListFeatures '{"target":{"class":"host"}}'
        call ListFeatures-component call "$x" io.systemd.SysUpdate.ListFeatures '{"target":{"class":"component","name":"extra"}}'
        call CheckNew-available call "$x" io.systemd.SysUpdate.CheckNew '{"target":{"class":"host"}}'
        call CheckNew-component call "$x" io.systemd.SysUpdate.CheckNew '{"target":{"class":"component","name":"extra"},"allowInteractiveAuthentication":false}'
        call CheckNew-dotdot call "$x" io.systemd.SysUpdate.CheckNew '{"target":{"class":"component","name":"../"}}'
        call CheckNew-unknown-component call "$x" io.systemd.SysUpdate.CheckNew '{"target":{"class":"component","name":"doesnotexist"}}'
        call CheckNew-sysext call "$x" io.systemd.SysUpdate.CheckNew '{"target":{"class":"sysext","name":"doesnotexist"}}'
        call CheckNew-host-with-name call "$x" io.systemd.SysUpdate.CheckNew '{"target":{"class":"host","name":"x"}}'
        call CheckNew-bad-class call "$x" io.systemd.SysUpdate.CheckNew '{"target":{"class":"bogus"}}'
        call CheckNew-no-target call "$x" io.systemd.SysUpdate.CheckNew '{}'
        call ListTargets-extra-parameter call "$x" io.systemd.SysUpdate.ListTargets '{"x":1}'
        call unknown-method call "$x" io.systemd.SysUpdate.Nope '{}'
        call unknown-interface call "$x" io.example.Nope.X '{}'
        call GetInfo call "$x" org.varlink.service.GetInfo '{}'
        call GetInterfaceDescription-unknown call "$x" org.varlink.service.GetInterfaceDescription '{"interface":"io.example.Nope"}'
        call introspect introspect "$x" io.systemd.SysUpdate
        # As systemd-sysupdate.socket starts it: Accept=yes, FileDescriptorName=varlink, a connected socket per client.
        chroot "$C" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root SYSTEMD_SYSUPDATE_NO_VERIFY=1 \
            systemd-socket-activate --accept --fdname=varlink -E SYSTEMD_SYSUPDATE_NO_VERIFY -l /run/io.systemd.SysUpdate "$P" 2>/dev/null &
        activator=$!
        for _ in $(seq 100); do [ -S "$C/run/io.systemd.SysUpdate" ] && break; sleep 0.1; done
        call socket-ListTargets call /run/io.systemd.SysUpdate io.systemd.SysUpdate.ListTargets '{}'
        call socket-CheckNew call /run/io.systemd.SysUpdate io.systemd.SysUpdate.CheckNew '{"target":{"class":"host"}}'
        kill "$activator"; wait "$activator" 2>/dev/null || true
        echo b >"$C/run/t/dst/foo-2.bin"
        call CheckNew-none call "$x" io.systemd.SysUpdate.CheckNew '{"target":{"class":"host"}}'
        rm -f "$C"/run/sysupdate.d/* "$C"/run/sysupdate.extra.d/*
        call ListTargets-empty-directories call "$x" io.systemd.SysUpdate.ListTargets '{}'
        call CheckNew-no-transfers call "$x" io.systemd.SysUpdate.CheckNew '{"target":{"class":"host"}}'
        call CheckNew-empty-component call "$x" io.systemd.SysUpdate.CheckNew '{"target":{"class":"component","name":"extra"}}'
        rm -rf "$C/run/sysupdate.d" "$C/run/sysupdate.extra.d"
        call ListTargets-none call "$x" io.systemd.SysUpdate.ListTargets '{}'
        call ListFeatures-none call "$x" io.systemd.SysUpdate.ListFeatures '{"target":{"class":"host"}}'
        """;

    [Fact]
    public async Task Varlinkctl_gets_the_same_replies_from_image_update_as_from_systemd_sysupdate_262()
    {
        TestEnvironment.RequireRoot("private mount namespaces for the 262 chroot");
        TestEnvironment.RequireTools("util-linux", "unshare");
        var oracle = SysupdateOracle.ForTest(output, 262);
        if (oracle is null)
        {
            return;
        }

        var theirs = await RunAsync(oracle, "/usr/lib/systemd/systemd-sysupdate");
        var ours = await RunAsync(oracle, "/run/iu/image-update");

        // What 262 answers, so that both going wrong the same way cannot pass.
        Assert.Equal("{\"targets\":[{\"id\":{\"class\":\"host\",\"name\":null}},{\"id\":{\"class\":\"component\",\"name\":\"extra\"}}]}\nrc=0", theirs["ListTargets"]);
        Assert.Equal("{\"available\":\"2\"}\nrc=0", theirs["CheckNew-available"]);
        Assert.Equal("{\"available\":\"2\"}\nrc=0", theirs["socket-CheckNew"]);
        Assert.Contains("io.systemd.SysUpdate.NoUpdateNeeded", theirs["CheckNew-none"], StringComparison.Ordinal);
        Assert.Contains("io.systemd.SysUpdate.NoSuchTarget", theirs["CheckNew-unknown-component"], StringComparison.Ordinal);
        Assert.Contains("{\"parameter\":\"target\"}", theirs["CheckNew-dotdot"], StringComparison.Ordinal);
        Assert.Equal("{\"targets\":[{\"id\":{\"class\":\"component\",\"name\":\"extra\"}}]}\nrc=0", theirs["ListTargets-empty-directories"]);
        Assert.Equal("{\"targets\":[]}\nrc=0", theirs["ListTargets-none"]);

        Assert.Equal(theirs.Keys, ours.Keys);
        foreach (var (name, reply) in theirs)
        {
            Assert.True(reply == ours[name], $"{name}:\n262:\n{reply}\nimage-update:\n{ours[name]}");
        }
    }

    private const string NotifyScript = """
        set -eu
        C="$1"; P="$2"
        mount -t tmpfs tmpfs "$C/run"
        mount -t proc proc "$C/proc"
        mkdir -p "$C/run/iu" "$C/run/sysupdate.d" "$C/run/t/source" "$C/run/t/blobs" "$C/run/systemd/sysupdate/notify"
        mount --bind "$PROGRAM_DIR" "$C/run/iu"
        cat >"$C/run/recorder.py" <<'PY'
        import os, socket
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind("/run/systemd/sysupdate/notify/io.test.SysUpdateRecorder")
        s.listen()
        open("/run/ready", "w").close()
        while True:
            c, _ = s.accept()
            buf = b""
            while not buf.endswith(b"\0"):
                d = c.recv(4096)
                if not d:
                    break
                buf += d
            with open("/run/notify.log", "ab") as f:
                f.write(buf.rstrip(b"\0") + b"\n")
            c.sendall(b'{"parameters":{}}\0')
            c.close()
        PY
        chroot "$C" python3 /run/recorder.py &
        recorder=$!
        trap 'kill "$recorder" 2>/dev/null || true' EXIT
        for _ in $(seq 100); do [ -e "$C/run/ready" ] && break; sleep 0.1; done
        echo hello >"$C/run/t/source/notifytest-v1.bin"
        (cd "$C/run/t/source" && sha256sum notifytest-v1.bin >SHA256SUMS)
        printf '[Source]\nType=url-file\nPath=file:///run/t/source\nMatchPattern=notifytest-@v.bin\n[Target]\nType=regular-file\nPath=/run/t/blobs\nMatchPattern=notifytest-@v.bin\nInstancesMax=2\n' >"$C/run/sysupdate.d/01-notifytest.transfer"
        run() { chroot "$C" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$P" --verify=no update >"$C/run/update.out" 2>&1 || { cat "$C/run/update.out" >&2; exit 1; }; }
        run
        echo "### update"; cat "$C/run/notify.log" 2>/dev/null || true
        rm -f "$C/run/notify.log"
        run
        echo "### no-op update"; cat "$C/run/notify.log" 2>/dev/null || true
        """;

    [Fact]
    public async Task The_update_notification_is_the_one_systemd_sysupdate_262_sends_and_a_no_op_update_sends_none()
    {
        TestEnvironment.RequireRoot("private mount namespaces for the 262 chroot");
        TestEnvironment.RequireTools("util-linux", "unshare");
        var oracle = SysupdateOracle.ForTest(output, 262);
        if (oracle is null)
        {
            return;
        }

        var theirs = await RunAsync(oracle, "/usr/lib/systemd/systemd-sysupdate", NotifyScript);
        var ours = await RunAsync(oracle, "/run/iu/image-update", NotifyScript);

        var expected = JsonNode.Parse("""{"method":"io.systemd.SysUpdate.Notify.OnCompletedUpdate","parameters":{"version":"v1","resources":[{"transfer":"01-notifytest","path":"/run/t/blobs/notifytest-v1.bin"}]}}""");
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(theirs["update"])), theirs["update"]);
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(ours["update"])), ours["update"]);
        Assert.Equal("", theirs["no-op update"]);
        Assert.Equal("", ours["no-op update"]);
    }

    private async Task<Dictionary<string, string>> RunAsync(SysupdateOracle oracle, string program, string script = Script)
    {
        var result = await TestProcess.RunAsync(
            "unshare",
            ["-m", "--propagation", "private", "bash", "-c", script, "varlink-differential", oracle.Root, program],
            new Dictionary<string, string?>
            {
                ["PROGRAM_DIR"] = Path.GetDirectoryName(ImageUpdateProcess.ProgramPath),
            },
            timeout: TimeSpan.FromMinutes(5));
        output.WriteLine($"{program}: {result}");
        Assert.True(result.ExitCode == 0, result.ToString());

        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var block in result.Stdout.Split("### ", StringSplitOptions.RemoveEmptyEntries))
        {
            var newline = block.IndexOf('\n', StringComparison.Ordinal);
            var name = block[..newline];
            var body = block[(newline + 1)..].TrimEnd('\n');
            sections[name] = name switch
            {
                // Vendor, product, version and URL name the program; the interfaces must be the same.
                "GetInfo" => JsonDocument.Parse(body[..body.LastIndexOf("\nrc=", StringComparison.Ordinal)]).RootElement.GetProperty("interfaces").GetRawText() + body[body.LastIndexOf("\nrc=", StringComparison.Ordinal)..],
                // The comments are each program's own words.
                "introspect" => string.Join('\n', body.Split('\n').Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'))),
                _ => body,
            };
        }

        return sections;
    }
}
