using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Transfers;

namespace ImageUpdate.Cli.Output;

/// <summary>
/// Progress of an update: on a terminal a live line on stderr (the transfer, bytes done / total,
/// rate, ETA and the overall percentage, redrawn every <see cref="Tick"/> even while no bytes arrive,
/// erased before any other stderr output and at the end); JSON event lines with --json; nothing
/// otherwise, so logs and pipes stay clean.
/// </summary>
public sealed class ConsoleProgress : IUpdateObserver, IDisposable
{
    /// <summary>How often the terminal line is redrawn: at least twice a second, as a person reads it.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    /// <summary>With --json, at most one event per this interval unless the percentage changes.</summary>
    public static readonly TimeSpan JsonInterval = TimeSpan.FromSeconds(1);

    private readonly TextWriter _error;
    private readonly JsonMode _json;
    private readonly Action<VacuumResult> _roomMade;
    private readonly TimeProvider _clock;
    private readonly TerminalWriter? _terminal;
    private readonly ProgressLine _line;
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private bool _disposed;
    private int _lastJsonPercent = -1;
    private long _lastJsonAt;

    /// <param name="error">stderr; the live line is drawn only when it is a <see cref="TerminalWriter"/> on a terminal.</param>
    public ConsoleProgress(TextWriter error, JsonMode json, Action<VacuumResult> roomMade, TimeProvider? clock = null)
    {
        _error = error;
        _json = json;
        _roomMade = roomMade;
        _clock = clock ?? TimeProvider.System;
        _terminal = json == JsonMode.Off && error is TerminalWriter { IsTerminal: true } terminal ? terminal : null;
        _line = new ProgressLine(_clock);
    }

    public void OnRoomMade(VacuumResult result)
    {
        if (_json != JsonMode.Off)
        {
            _roomMade(result);
        }
    }

    public void OnStatus(string version, string status)
    {
        if (_json != JsonMode.Off)
        {
            JsonOutput.Write(_error, JsonMode.Short, w =>
            {
                w.WriteStartObject();
                w.WriteString("event", "status");
                w.WriteString("version", version);
                w.WriteString("status", status);
                w.WriteEndObject();
            });
        }
    }

    /// <summary>
    /// The engine's end of a transfer (fraction 1): the line ends with it. The engine reports a copy
    /// as it goes through the other overload, with bytes; a fraction alone below 1 adds nothing to show.
    /// </summary>
    public void OnProgress(string version, int index, int count, double fraction)
    {
        if (fraction < 1.0)
        {
            return;
        }

        lock (_gate)
        {
            _line.Finish(version, index, count);
            StopTicking();
            Emit(force: true);
        }
    }

    public void OnProgress(string version, int index, int count, string transfer, TransferProgress progress)
    {
        lock (_gate)
        {
            if (!_line.Report(version, index, count, transfer, progress))
            {
                return;
            }

            Show(force: false);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            StopTicking();
        }
    }

    private void Show(bool force)
    {
        // A report that arrives after the end (Progress<T> posts to the thread pool) draws nothing.
        if (_disposed)
        {
            return;
        }

        if (_terminal is not null)
        {
            _timer ??= _clock.CreateTimer(_ => OnTick(), null, Tick, Tick);
            return;
        }

        Emit(force);
    }

    private void OnTick()
    {
        lock (_gate)
        {
            if (_timer is null || !_line.Active)
            {
                return;
            }

            _line.Sample();
            _terminal?.ShowStatus(_line.Render());
        }
    }

    private void StopTicking()
    {
        _timer?.Dispose();
        _timer = null;
        _terminal?.ClearStatus();
    }

    /// <summary>A JSON event when the percentage rose, at the end of a transfer, or once per <see cref="JsonInterval"/>.</summary>
    private void Emit(bool force)
    {
        if (_json == JsonMode.Off)
        {
            return;
        }

        var now = _clock.GetTimestamp();
        var percent = _line.Percent;
        if (!force && percent == _lastJsonPercent && _clock.GetElapsedTime(_lastJsonAt, now) < JsonInterval)
        {
            return;
        }

        _lastJsonPercent = percent;
        _lastJsonAt = now;
        var rate = _line.Rate;
        JsonOutput.Write(_error, JsonMode.Short, w =>
        {
            w.WriteStartObject();
            w.WriteString("event", "progress");
            w.WriteString("version", _line.Version);
            w.WriteNumber("transfer", _line.Index + 1);
            w.WriteNumber("transfers", _line.Count);
            w.WriteNumber("percent", percent);
            w.WriteNumber("bytes", _line.Bytes);
            if (_line.Total is { } total)
            {
                w.WriteNumber("total", total);
            }
            else
            {
                w.WriteNull("total");
            }

            if (rate is { } r)
            {
                w.WriteNumber("rate", (long)r);
            }
            else
            {
                w.WriteNull("rate");
            }

            if (_line.Reused is { } reused)
            {
                w.WriteNumber("reused", reused);
                w.WriteNumber("downloaded", _line.Downloaded ?? 0);
            }

            w.WriteEndObject();
        });
    }
}
