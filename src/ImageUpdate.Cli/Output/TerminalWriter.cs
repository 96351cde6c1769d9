using System.Text;

namespace ImageUpdate.Cli.Output;

/// <summary>
/// The one owner of stderr: log lines, errors and JSON events go through it as through any writer,
/// and on a terminal it also holds the live progress line (<see cref="ShowStatus"/>), which it erases
/// under the same lock before anything else is written, so a log line never lands in the middle of
/// it. Not on a terminal the status calls do nothing and the writer only passes text on.
/// </summary>
public sealed class TerminalWriter(TextWriter inner, bool isTerminal) : TextWriter
{
    /// <summary>Carriage return, then erase to the end of the line (ECMA-48 EL 0).</summary>
    private const string Erase = "\r\e[K";

    private readonly Lock _gate = new();
    private bool _shown;
    private bool _ended;

    /// <summary>Whether stderr is a terminal, so a status line can be shown.</summary>
    public bool IsTerminal => isTerminal;

    public override Encoding Encoding => inner.Encoding;

    /// <summary>Replaces the status line with <paramref name="line"/> (on a terminal, until <see cref="EndStatus"/>).</summary>
    public void ShowStatus(string line)
    {
        if (!isTerminal)
        {
            return;
        }

        lock (_gate)
        {
            if (_ended)
            {
                return;
            }

            // A line longer than the terminal wraps, and the erase before the next draw reaches
            // only the last row: keep it within the width when the terminal says what that is.
            var columns = Columns();
            inner.Write(Erase + (columns > 1 && line.Length >= columns ? line[..(columns - 1)] : line));
            inner.Flush();
            _shown = true;
        }
    }

    private static int Columns()
    {
        try
        {
            return Console.WindowWidth;
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException or InvalidOperationException)
        {
            return 0;
        }
    }

    /// <summary>Erases the status line, if one is shown.</summary>
    public void ClearStatus()
    {
        lock (_gate)
        {
            ClearLocked();
            inner.Flush();
        }
    }

    /// <summary>Erases the status line and shows none again (the run is ending: what follows is the result or an error).</summary>
    public void EndStatus()
    {
        lock (_gate)
        {
            _ended = true;
            ClearLocked();
            inner.Flush();
        }
    }

    public override void Write(char value)
    {
        lock (_gate)
        {
            ClearLocked();
            inner.Write(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_gate)
        {
            ClearLocked();
            inner.Write(value);
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        lock (_gate)
        {
            ClearLocked();
            inner.Write(buffer, index, count);
        }
    }

    public override void Write(ReadOnlySpan<char> buffer)
    {
        lock (_gate)
        {
            ClearLocked();
            inner.Write(buffer);
        }
    }

    public override void WriteLine()
    {
        lock (_gate)
        {
            ClearLocked();
            inner.WriteLine();
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_gate)
        {
            ClearLocked();
            inner.WriteLine(value);
        }
    }

    public override void Flush()
    {
        lock (_gate)
        {
            inner.Flush();
        }
    }

    private void ClearLocked()
    {
        if (_shown)
        {
            inner.Write(Erase);
            _shown = false;
        }
    }
}
