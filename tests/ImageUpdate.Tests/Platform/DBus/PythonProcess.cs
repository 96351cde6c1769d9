using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>A python3-dbus script started by a test, written into the bus's temp directory; killed on dispose.</summary>
internal sealed class PythonProcess : IDisposable
{
    private readonly RunningProcess _process;

    public PythonProcess(PrivateBus bus, string name, string script, params string[] arguments)
    {
        var path = bus.Directory[name + ".py"];
        File.WriteAllText(path, script);
        _process = TestProcess.Start(DBusTestTools.PythonWithDBus!, new[] { path, bus.Address }.Concat(arguments));
    }

    public string Stderr => _process.StderrSoFar;

    /// <summary>The next stdout line, or a failure quoting the script's stderr when none comes in time.</summary>
    public async Task<string> ReadLineAsync(TimeSpan timeout)
    {
        string? line;
        try
        {
            line = await _process.ReadStdoutLineAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            line = null;
        }

        if (line is null)
        {
            // A second for the script to end, so its stderr (a traceback) is all there.
            try
            {
                await _process.WaitAsync(TimeSpan.FromSeconds(1));
            }
            catch (TimeoutException)
            {
            }

            Assert.Fail($"The python3 script printed nothing in time; stderr: {Stderr}");
        }

        return line;
    }

    public void Dispose() => _process.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
