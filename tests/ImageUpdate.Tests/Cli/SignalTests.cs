using System.Security.Cryptography;
using ImageUpdate.Tests.Platform.Transport;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// SIGINT and SIGTERM during an update: the program stops at its next safe point, exits 130 or 143
/// (128 + the signal, as a shell reports it), says so, and leaves nothing half-installed: no final or
/// pending file of the version it was downloading. The same command afterwards finishes the update.
/// The update is caught mid-download by a server that stalls after the first bytes and tells the test
/// it has sent them, so the signal arrives while the download runs (no sleep, no race).
/// </summary>
public sealed class SignalTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(RunningProcess.SigInt, 130)]
    [InlineData(RunningProcess.SigTerm, 143)]
    public async Task A_signal_during_a_download_stops_the_update_with_128_plus_the_signal_and_installs_nothing(int signal, int exitCode)
    {
        using var key = new SigningKey();
        var payload = RandomNumberGenerator.GetBytes(4 << 20);
        var files = SignedOsServer.Publish(_dir, key, ("os_1.raw", payload));
        var downloading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stall = 1;
        await using var server = await TestHttpServer.StartAsync(async (context, stopping) =>
        {
            if (context.Request.Path.Value != "/os_1.raw" || Interlocked.Exchange(ref stall, 0) == 0)
            {
                await SignedOsServer.Serve(files, context);
                return;
            }

            // The first download of the payload: some bytes, then nothing until the client goes away.
            context.Response.ContentLength = payload.Length;
            await context.Response.Body.WriteAsync(payload.AsMemory(0, 64 << 10), stopping);
            await context.Response.Body.FlushAsync(stopping);
            downloading.TrySetResult();
            using var gone = CancellationTokenSource.CreateLinkedTokenSource(stopping, context.RequestAborted);
            try
            {
                await Task.Delay(Timeout.Infinite, gone.Token);
            }
            catch (OperationCanceledException)
            {
            }
        });
        SignedOsServer.Define(_dir, server.BaseAddress.ToString().TrimEnd('/'), key);
        string[] update = ["--definitions", _dir["defs"], "--keyring", _dir["keyring.gpg"], "update"];

        await using (var running = ImageUpdateProcess.Start(null, update))
        {
            await downloading.Task.WaitAsync(TimeSpan.FromMinutes(1));
            running.Signal(signal);
            var stopped = await running.WaitAsync(TimeSpan.FromMinutes(1));

            Assert.True(stopped.ExitCode == exitCode, stopped.ToString());
            Assert.Contains("interrupted", stopped.Stderr, StringComparison.Ordinal);
        }

        // Nothing half-installed: neither the version nor a pending copy of it.
        Assert.False(File.Exists(_dir["target/os_1.raw"]));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_dir["target"]), e => Path.GetFileName(e).Contains(".sysupdate.pending.", StringComparison.Ordinal));

        // And the same command finishes the job (the server no longer stalls).
        var again = await ImageUpdateProcess.RunAsync(null, update);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(payload, File.ReadAllBytes(_dir["target/os_1.raw"]));
        Assert.Equal(["os_1.raw"], Directory.EnumerateFileSystemEntries(_dir["target"]).Select(Path.GetFileName));
    }
}
