using System.Globalization;
using ImageUpdate.Update.Transfers;

namespace ImageUpdate.Cli.Output;

/// <summary>
/// What the progress line and the JSON progress events show: the transfer being copied, bytes done
/// and the total when known, a rate smoothed over the last few seconds of a clock, the ETA, and the
/// overall percentage across transfers. Reports may come late and out of order (Progress&lt;T&gt; calls
/// back on the thread pool): nothing shown ever goes backwards. Not thread-safe: the caller locks.
/// </summary>
public sealed class ProgressLine(TimeProvider clock)
{
    /// <summary>The rate is the bytes copied over this last stretch of time, so a stall shows as a falling rate.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(3);

    private readonly Queue<(long Ticks, long Bytes)> _samples = new();
    private string _version = "";
    private string _transfer = "";
    private int _index = -1;
    private int _count = 1;
    private long _bytes;
    private long? _total;
    private long? _reused;
    private long? _downloaded;
    private double? _fraction;
    private int _finished = -1;
    private int _percent;

    /// <summary>The transfer a report is for (0-based) and how many there are; -1 before the first.</summary>
    public int Index => _index;

    /// <summary>Whether a transfer is being copied (a report came and its end has not).</summary>
    public bool Active => _index >= 0 && _index > _finished;

    /// <summary>
    /// Takes a report of transfer <paramref name="index"/>; false when it changes nothing shown
    /// (a late report of an earlier or finished transfer, or fewer bytes than already seen).
    /// </summary>
    public bool Report(string version, int index, int count, string transfer, TransferProgress progress)
    {
        if (index < _index || index <= _finished || (index == _index && progress.Bytes < _bytes))
        {
            return false;
        }

        if (index != _index)
        {
            _index = index;
            _samples.Clear();
            _bytes = 0;
            _total = null;
            _reused = null;
            _downloaded = null;
            _fraction = null;
        }

        _version = version;
        _count = Math.Max(1, count);
        _transfer = transfer;
        _bytes = progress.Bytes;
        _total = progress.Total ?? _total;
        _reused = Max(_reused, progress.Reused);
        _downloaded = Max(_downloaded, progress.Downloaded);
        if (progress.Fraction is { } fraction)
        {
            _fraction = Math.Max(fraction, _fraction ?? 0);
        }

        Sample();
        return true;
    }

    /// <summary>Transfer <paramref name="index"/> has ended: later reports of it are stale.</summary>
    public void Finish(string version, int index, int count)
    {
        if (index < _finished)
        {
            return;
        }

        if (index != _index)
        {
            _index = index;
            _samples.Clear();
            _bytes = 0;
            _total = null;
        }

        _version = version;
        _count = Math.Max(1, count);
        _finished = index;
        _fraction = 1.0;
        if (_total is { } total)
        {
            _bytes = Math.Max(_bytes, total);
        }

        _percent = Math.Max(_percent, OverallPercent());
    }

    /// <summary>Records the bytes now, so the rate falls while nothing arrives; called on every tick of the line.</summary>
    public void Sample()
    {
        var now = clock.GetTimestamp();
        _samples.Enqueue((now, _bytes));
        var oldest = now - (long)(Window.TotalSeconds * clock.TimestampFrequency);

        // Keep one sample at or before the window's start as the base of the rate.
        while (_samples.Count > 2 && _samples.ElementAt(1).Ticks <= oldest)
        {
            _samples.Dequeue();
        }

        _percent = Math.Max(_percent, OverallPercent());
    }

    public string Version => _version;

    public string Transfer => _transfer;

    public int Count => _count;

    public long Bytes => _bytes;

    public long? Total => _total;

    /// <summary>For a payload rebuilt from a chunk index: bytes taken from seeds so far; null otherwise.</summary>
    public long? Reused => _reused;

    /// <summary>For a payload rebuilt from a chunk index: bytes the server sent so far; null otherwise.</summary>
    public long? Downloaded => _downloaded;

    /// <summary>The overall percentage, as sysupdate computes X_SYSUPDATE_PROGRESS: (100*i + pct) / n; never falls.</summary>
    public int Percent => _percent;

    /// <summary>Bytes per second over the last <see cref="Window"/>, or null until half a second has passed.</summary>
    public double? Rate
    {
        get
        {
            if (_samples.Count < 2)
            {
                return null;
            }

            var (firstTicks, firstBytes) = _samples.Peek();
            var (lastTicks, lastBytes) = _samples.Last();
            var seconds = (double)(lastTicks - firstTicks) / clock.TimestampFrequency;
            return seconds < 0.5 ? null : Math.Max(0, lastBytes - firstBytes) / seconds;
        }
    }

    /// <summary>The time left at the current rate, when the total is known and bytes are moving.</summary>
    public TimeSpan? Eta =>
        _total is { } total && Rate is > 0 and var rate
            ? TimeSpan.FromSeconds(Math.Min(Math.Max(0, total - _bytes) / rate, TimeSpan.FromDays(100).TotalSeconds))
            : null;

    /// <summary>The line: <c>TRANSFER [i/n] DONE / TOTAL  RATE  ETA  PERCENT</c>.</summary>
    public string Render()
    {
        var size = _total is { } total ? $"{FormatSize(_bytes)} / {FormatSize(total)}" : FormatSize(_bytes);
        var rate = Rate is { } r ? FormatSize((long)r) + "/s" : "--/s";
        var delta = _reused is { } reused ? $"  (reused {FormatSize(reused)}, downloaded {FormatSize(_downloaded ?? 0)})" : "";
        return $"{_transfer} [{_index + 1}/{_count}]  {size}  {rate}  ETA {FormatEta(Eta)}  {Percent,3}%{delta}";
    }

    /// <summary>A byte count for people: bytes under 1 KiB, then KiB, MiB, GiB or TiB with one decimal.</summary>
    public static string FormatSize(long bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB"];
        if (bytes < 1024)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
        }

        double value = bytes;
        var unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }

    /// <summary>M:SS under an hour, H:MM:SS beyond, --:-- when not known.</summary>
    public static string FormatEta(TimeSpan? eta)
    {
        if (eta is not { } left)
        {
            return "--:--";
        }

        var seconds = (long)Math.Ceiling(left.TotalSeconds);
        return seconds >= 3600
            ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600}:{seconds / 60 % 60:00}:{seconds % 60:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}:{seconds % 60:00}");
    }

    private static long? Max(long? seen, long? reported) => reported is { } value ? Math.Max(value, seen ?? 0) : seen;

    private int OverallPercent() =>
        _index < 0 ? 0 : (int)(((100.0 * _index) + (100.0 * (_fraction ?? 0))) / _count);
}
