using System.Security.Cryptography;
using System.Text.RegularExpressions;
using ImageUpdate.Tests.Platform.Transport;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// The progress line as a person sees it: the published program, its stderr on a real
/// pseudo-terminal (python3's pty module), updating from a local HTTP server that sends a 4 MiB
/// url-file payload slowly for a few seconds. The line is redrawn with bytes, rate, ETA and the
/// percentage, and is erased before every log line; with TERM=dumb or stderr a pipe there is no line at all.
/// </summary>
public sealed partial class TerminalProgressTests : IDisposable
{
    private const int PayloadSize = 4 << 20;
    private const int Chunk = 64 << 10;

    /// <summary>Runs argv[1:] with stderr on a new pty and copies what the terminal received to stdout.</summary>
    private const string PtyRunner = """
        import os, subprocess, sys
        master, slave = os.openpty()
        child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        captured = bytearray()
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            captured += data
        sys.stdout.buffer.write(bytes(captured))
        sys.exit(child.wait())
        """;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_slow_download_shows_a_live_line_on_a_terminal_and_none_on_a_dumb_one_or_a_pipe()
    {
        TestEnvironment.RequireTools("apt-get install python3", "python3");
        using var key = new SigningKey();
        var payload = RandomNumberGenerator.GetBytes(PayloadSize);
        await using var server = await SlowServerAsync(key, payload);
        string[] update = ["--definitions", _dir["defs"], "--keyring", _dir["keyring.gpg"], "update"];

        var terminal = await TestProcess.RunAsync("python3", ["-c", PtyRunner, ImageUpdateProcess.ProgramPath, .. update], ImageUpdateProcess.Environment(null));
        Assert.True(terminal.ExitCode == 0, terminal.ToString());
        Assert.Equal(payload, File.ReadAllBytes(_dir["target/os_2.raw"]));
        var lines = AssertLiveLine(terminal.Stdout);
        Assert.Contains(lines, l => l.StartsWith("Acquiring ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Successfully acquired ", StringComparison.Ordinal));

        // On a terminal that cannot erase (TERM=dumb): logs only.
        File.Delete(_dir["target/os_2.raw"]);
        var dumb = await TestProcess.RunAsync("python3", ["-c", PtyRunner, ImageUpdateProcess.ProgramPath, .. update], ImageUpdateProcess.Environment(new Dictionary<string, string?> { ["TERM"] = "dumb" }));
        Assert.True(dumb.ExitCode == 0, dumb.ToString());
        Assert.Contains("Successfully acquired ", dumb.Stdout);
        Assert.DoesNotContain("\e", dumb.Stdout);
        Assert.DoesNotContain(" ETA ", dumb.Stdout);

        // The same update with stderr a pipe: logs only.
        File.Delete(_dir["target/os_2.raw"]);
        var piped = await ImageUpdateProcess.RunAsync(null, update);
        Assert.True(piped.ExitCode == 0, piped.ToString());
        Assert.Contains("Successfully acquired ", piped.Stderr);
        Assert.DoesNotContain("\r", piped.Stderr);
        Assert.DoesNotContain("\e", piped.Stderr);
        Assert.DoesNotContain(" ETA ", piped.Stderr);
    }

    [Fact]
    public async Task A_slow_fetch_into_a_staging_directory_shows_the_same_live_line()
    {
        // The untrusted side's download: the same line, counted against the response's Content-Length.
        TestEnvironment.RequireTools("apt-get install python3", "python3");
        using var key = new SigningKey();
        var payload = RandomNumberGenerator.GetBytes(PayloadSize);
        await using var server = await SlowServerAsync(key, payload);
        string[] fetch = ["--definitions", _dir["defs"], "--keyring", _dir["keyring.gpg"], "fetch", "--from", server.BaseAddress.ToString().TrimEnd('/'), _dir["staging"]];

        var terminal = await TestProcess.RunAsync("python3", ["-c", PtyRunner, ImageUpdateProcess.ProgramPath, .. fetch], ImageUpdateProcess.Environment(null));
        Assert.True(terminal.ExitCode == 0, terminal.ToString());
        Assert.Equal(payload, File.ReadAllBytes(Path.Combine(_dir["staging"], "os_2.raw")));
        var lines = AssertLiveLine(terminal.Stdout);
        Assert.Contains(lines, l => l.StartsWith("Fetching ", StringComparison.Ordinal));
    }

    /// <summary>A signed server offering os_1 and os_2, the 4 MiB os_2 sent in 64 KiB chunks 60 ms apart; the definitions in defs/.</summary>
    private async Task<TestHttpServer> SlowServerAsync(SigningKey key, byte[] payload)
    {
        var files = SignedOsServer.Publish(_dir, key, ("os_1.raw", RandomNumberGenerator.GetBytes(1000)), ("os_2.raw", payload));
        var server = await TestHttpServer.StartAsync(async (context, stopping) =>
        {
            if (context.Request.Path.Value != "/os_2.raw")
            {
                await SignedOsServer.Serve(files, context);
                return;
            }

            // 64 chunks 60 ms apart: about four seconds, so the line is redrawn many times.
            context.Response.ContentLength = payload.Length;
            for (var offset = 0; offset < payload.Length; offset += Chunk)
            {
                await context.Response.Body.WriteAsync(payload.AsMemory(offset, Chunk), stopping);
                await context.Response.Body.FlushAsync(stopping);
                await Task.Delay(60, stopping);
            }
        });
        SignedOsServer.Define(_dir, server.BaseAddress.ToString().TrimEnd('/'), key);
        return server;
    }

    /// <summary>
    /// Checks the frames of the live line in what a terminal received and returns the lines that
    /// stay on the screen, each a log line alone, never one glued to the progress line.
    /// </summary>
    private static List<string> AssertLiveLine(string received)
    {
        // The terminal's output post-processing turns "\n" into "\r\n"; the progress line is drawn as
        // "\r ESC[K LINE" and erased with "\r ESC[K".
        var screen = received.Replace("\r\n", "\n", StringComparison.Ordinal);
        var frames = screen.Split('\r', '\n')
            .Where(s => s.StartsWith("\e[Kos [", StringComparison.Ordinal))
            .Select(s => s[3..])
            .ToList();
        Assert.All(frames, f => Assert.Matches(FramePattern(), f));
        var parsed = frames.Select(f => FramePattern().Match(f)).ToList();

        // A frame drawn before the first bytes (and the response's length) arrived has no total yet; the others do.
        Assert.Contains(parsed, m => m.Groups["total"].Success);
        Assert.All(parsed.SkipWhile(m => !m.Groups["total"].Success), m => Assert.True(m.Groups["total"].Success, m.Value));
        Assert.True(parsed.Select(m => m.Groups["done"].Value).Distinct().Count() >= 3, $"too few updates: {string.Join(" | ", frames)}");
        Assert.Contains(parsed, m => m.Groups["rate"].Value != "--/s" && m.Groups["eta"].Value != "--:--");
        var percents = parsed.Select(m => int.Parse(m.Groups["percent"].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(percents.Order(), percents);
        Assert.Contains(percents, p => p is > 0 and < 100);

        var lines = screen.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Visible).ToList();
        Assert.DoesNotContain(lines, l => l.Contains(" ETA ", StringComparison.Ordinal) || l.Contains('\e'));
        return lines;
    }

    /// <summary>What a line shows once the terminal has applied its carriage returns and erases.</summary>
    private static string Visible(string line)
    {
        var erase = line.LastIndexOf("\r\e[K", StringComparison.Ordinal);
        return erase >= 0 ? line[(erase + 4)..] : line;
    }

    [GeneratedRegex(@"^os \[1/1\]  (?<done>\d+(\.\d)? (B|KiB|MiB))(?<total> / 4\.0 MiB)?  (?<rate>\d+(\.\d)? (B|KiB|MiB)/s|--/s)  ETA (?<eta>\d+:\d\d|--:--) +(?<percent>\d+)%$")]
    private static partial Regex FramePattern();
}
