using System.Diagnostics;
using System.Text;

namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>A python3-dbus script started by a test, written into the bus's temp directory; killed on dispose.</summary>
internal sealed class PythonProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    public PythonProcess(PrivateBus bus, string name, string script, params string[] arguments)
    {
        var path = bus.Directory[name + ".py"];
        File.WriteAllText(path, script);
        var start = new ProcessStartInfo(DBusTestTools.PythonWithDBus!) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(path);
        start.ArgumentList.Add(bus.Address);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
        };
        _process.BeginErrorReadLine();
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>The next stdout line, or a failure quoting the script's stderr when none comes in time.</summary>
    public async Task<string> ReadLineAsync(TimeSpan timeout)
    {
        string? line;
        try
        {
            line = await _process.StandardOutput.ReadLineAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            line = null;
        }

        if (line is null)
        {
            _process.WaitForExit(1000);
            Assert.Fail($"The python3 script printed nothing in time; stderr: {Stderr}");
        }

        return line;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
