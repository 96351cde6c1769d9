using System.Text.Json;
using ImageUpdate.Cli.Output;
using ImageUpdate.Update.Transfers;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// The progress line and events: sizes, rate and ETA from a clock the test moves, an unknown total,
/// and numbers that never go backwards when reports come late or out of order.
/// </summary>
public sealed class ProgressLineTests
{
    private const long MiB = 1 << 20;

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1024L, "1.0 KiB")]
    [InlineData(1536L, "1.5 KiB")]
    [InlineData(5L << 20, "5.0 MiB")]
    [InlineData((3L << 30) + (1L << 29), "3.5 GiB")]
    [InlineData(2L << 40, "2.0 TiB")]
    public void Sizes_are_shown_in_binary_units(long bytes, string expected) =>
        Assert.Equal(expected, ProgressLine.FormatSize(bytes));

    [Theory]
    [InlineData(-1.0, "--:--")]
    [InlineData(0.0, "0:00")]
    [InlineData(20.2, "0:21")]
    [InlineData(62.0, "1:02")]
    [InlineData(3723.0, "1:02:03")]
    public void The_eta_is_minutes_and_seconds_or_hours_beyond_one(double seconds, string expected) =>
        Assert.Equal(expected, ProgressLine.FormatEta(seconds < 0 ? null : TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void A_rebuild_from_a_chunk_index_shows_the_bytes_reused_and_downloaded()
    {
        var clock = new ManualClock();
        var line = new ProgressLine(clock);
        line.Report("7", 0, 1, "50-root", new TransferProgress(50 * MiB, 100 * MiB) { Reused = 48 * MiB, Downloaded = 2 * MiB });

        Assert.Equal("50-root [1/1]  50.0 MiB / 100.0 MiB  --/s  ETA --:--   50%  (reused 48.0 MiB, downloaded 2.0 MiB)", line.Render());
        Assert.Equal(48 * MiB, line.Reused);
        Assert.Equal(2 * MiB, line.Downloaded);

        // A late report without the counters keeps what was shown.
        line.Report("7", 0, 1, "50-root", new TransferProgress(60 * MiB, 100 * MiB));
        Assert.Equal(48 * MiB, line.Reused);
    }

    [Fact]
    public void Rate_and_eta_follow_the_bytes_over_the_clock()
    {
        var clock = new ManualClock();
        var line = new ProgressLine(clock);
        line.Report("7", 0, 1, "50-root", new TransferProgress(0, 100 * MiB));
        Assert.Null(line.Rate);
        Assert.Equal("50-root [1/1]  0 B / 100.0 MiB  --/s  ETA --:--    0%", line.Render());

        clock.Advance(TimeSpan.FromSeconds(1));
        line.Report("7", 0, 1, "50-root", new TransferProgress(10 * MiB, 100 * MiB));
        Assert.Equal(10.0 * MiB, line.Rate);
        Assert.Equal(TimeSpan.FromSeconds(9), line.Eta);
        Assert.Equal("50-root [1/1]  10.0 MiB / 100.0 MiB  10.0 MiB/s  ETA 0:09   10%", line.Render());
    }

    [Fact]
    public void A_stall_shows_the_rate_falling_to_zero_and_no_eta()
    {
        var clock = new ManualClock();
        var line = new ProgressLine(clock);
        line.Report("7", 0, 1, "50-root", new TransferProgress(0, 100 * MiB));
        for (var second = 1; second <= 4; second++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            line.Report("7", 0, 1, "50-root", new TransferProgress(second * 10 * MiB, 100 * MiB));
        }

        var rates = new List<double>();
        for (var tick = 0; tick < 16; tick++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(250));
            line.Sample();
            rates.Add(line.Rate!.Value);
        }

        Assert.Equal(rates.OrderDescending(), rates);
        Assert.True(rates[0] > rates[^1], string.Join(", ", rates));
        Assert.Equal(0, rates[^1]);
        Assert.Null(line.Eta);
        Assert.EndsWith("0 B/s  ETA --:--   40%", line.Render(), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_total_the_line_shows_the_bytes_alone_and_the_percentage_of_transfers_before()
    {
        var clock = new ManualClock();
        var line = new ProgressLine(clock);
        line.Report("7", 1, 2, "60-usr", new TransferProgress(0, null));
        clock.Advance(TimeSpan.FromSeconds(2));
        line.Report("7", 1, 2, "60-usr", new TransferProgress(6 * MiB, null));
        Assert.Null(line.Total);
        Assert.Null(line.Eta);
        Assert.Equal("60-usr [2/2]  6.0 MiB  3.0 MiB/s  ETA --:--   50%", line.Render());
    }

    [Fact]
    public void Late_and_out_of_order_reports_never_move_the_numbers_back()
    {
        var line = new ProgressLine(new ManualClock());
        Assert.True(line.Report("7", 0, 2, "a", new TransferProgress(50, 100)));
        Assert.False(line.Report("7", 0, 2, "a", new TransferProgress(30, 100)));
        Assert.Equal((50L, 25), (line.Bytes, line.Percent));

        Assert.True(line.Report("7", 1, 2, "b", new TransferProgress(10, 100)));
        Assert.False(line.Report("7", 0, 2, "a", new TransferProgress(90, 100)));
        Assert.Equal(("b", 10L, 55), (line.Transfer, line.Bytes, line.Percent));

        line.Finish("7", 1, 2);
        Assert.False(line.Active);
        Assert.False(line.Report("7", 1, 2, "b", new TransferProgress(20, 100)));
        Assert.Equal((100L, 100), (line.Bytes, line.Percent));
    }

    [Fact]
    public void Json_progress_events_keep_their_fields_and_add_bytes_total_and_rate()
    {
        var clock = new ManualClock();
        var error = new StringWriter();
        var progress = new ConsoleProgress(error, JsonMode.Short, _ => { }, clock);
        progress.OnProgress("7", 0, 1, "50-root", new TransferProgress(0, 4 * MiB));
        clock.Advance(TimeSpan.FromSeconds(1));
        progress.OnProgress("7", 0, 1, "50-root", new TransferProgress(2 * MiB, 4 * MiB));
        progress.OnProgress("7", 0, 1, "50-root", new TransferProgress(1 * MiB, 4 * MiB));
        progress.OnProgress("7", 0, 1, 1.0);

        var events = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([0, 50, 100], events.Select(e => e.GetProperty("percent").GetInt32()));
        Assert.Equal([0L, 2 * MiB, 4 * MiB], events.Select(e => e.GetProperty("bytes").GetInt64()));
        Assert.All(events, e => Assert.Equal(
            ("progress", "7", 1, 1, 4 * MiB),
            (e.GetProperty("event").GetString(), e.GetProperty("version").GetString(), e.GetProperty("transfer").GetInt32(), e.GetProperty("transfers").GetInt32(), e.GetProperty("total").GetInt64())));
        Assert.Equal(JsonValueKind.Null, events[0].GetProperty("rate").ValueKind);
        Assert.Equal(2 * MiB, events[1].GetProperty("rate").GetInt64());
    }

    [Fact]
    public void On_a_terminal_the_line_is_redrawn_on_each_tick_and_erased_before_a_log_line_and_at_the_end()
    {
        var clock = new ManualClock();
        var inner = new StringWriter();
        var terminal = new TerminalWriter(inner, isTerminal: true);
        using var progress = new ConsoleProgress(terminal, JsonMode.Off, _ => { }, clock);
        progress.OnProgress("7", 0, 1, "50-root", new TransferProgress(0, 4 * MiB));
        clock.Advance(TimeSpan.FromSeconds(1));
        progress.OnProgress("7", 0, 1, "50-root", new TransferProgress(1 * MiB, 4 * MiB));
        clock.Tick();
        terminal.WriteLine("a log line");
        clock.Advance(TimeSpan.FromSeconds(1));
        clock.Tick();
        progress.OnProgress("7", 0, 1, 1.0);
        clock.Tick();

        Assert.Equal(
            "\r\e[K50-root [1/1]  1.0 MiB / 4.0 MiB  1.0 MiB/s  ETA 0:03   25%\r\e[Ka log line" + Environment.NewLine
            + "\r\e[K50-root [1/1]  1.0 MiB / 4.0 MiB  512.0 KiB/s  ETA 0:06   25%\r\e[K",
            inner.ToString());
    }

    [Fact]
    public void Not_on_a_terminal_nothing_but_the_text_written_passes()
    {
        var clock = new ManualClock();
        var inner = new StringWriter();
        var terminal = new TerminalWriter(inner, isTerminal: false);
        using var progress = new ConsoleProgress(terminal, JsonMode.Off, _ => { }, clock);
        progress.OnProgress("7", 0, 1, "50-root", new TransferProgress(1 * MiB, 4 * MiB));
        clock.Tick();
        terminal.WriteLine("a log line");
        terminal.ShowStatus("status");
        progress.OnProgress("7", 0, 1, 1.0);

        Assert.Equal("a log line" + Environment.NewLine, inner.ToString());
    }

    /// <summary>A clock the test moves; its timers fire only when the test calls <see cref="Tick"/>.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private readonly List<ManualTimer> _timers = [];
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;

        public void Tick()
        {
            foreach (var timer in _timers.Where(t => !t.Disposed).ToList())
            {
                timer.Callback(timer.State);
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ManualTimer(callback, state);
            _timers.Add(timer);
            return timer;
        }

        private sealed class ManualTimer(TimerCallback callback, object? state) : ITimer
        {
            public TimerCallback Callback => callback;

            public object? State => state;

            public bool Disposed { get; private set; }

            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose() => Disposed = true;

            public ValueTask DisposeAsync()
            {
                Disposed = true;
                return ValueTask.CompletedTask;
            }
        }
    }
}
