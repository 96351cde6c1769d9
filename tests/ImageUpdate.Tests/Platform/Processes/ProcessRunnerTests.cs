using System.Text;
using ImageUpdate.Platform.Processes;

namespace ImageUpdate.Tests.Platform.Processes;

/// <summary>The process runner against real programs (sh, printf, cat, sleep): argv, pipes, timeouts and the error sentence.</summary>
public sealed class ProcessRunnerTests
{
    private readonly ProcessRunner _runner = new();

    private Task<ProcessResult> Run(string program, params string[] arguments) =>
        _runner.RunAsync(new ProcessRequest(program, arguments), CancellationToken.None);

    [Fact]
    public async Task Arguments_reach_the_program_verbatim_with_no_shell_in_between()
    {
        string[] words = ["a b", "$(touch /tmp/x)", "'\"", "*", "", ";ls", "\\n"];
        var result = await Run("printf", ["%s|", .. words]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Join("", words.Select(w => w + "|")), result.StandardOutput);
    }

    [Fact]
    public async Task Stdout_and_stderr_are_captured_separately()
    {
        var result = await Run("sh", "-c", "echo out; echo err >&2");

        Assert.Equal("out\n", result.StandardOutput);
        Assert.Equal("err\n", result.StandardError);
        Assert.False(result.OutputTruncated);
    }

    [Fact]
    public async Task Standard_input_is_written_and_closed()
    {
        var result = await _runner.RunAsync(
            new ProcessRequest("cat", []) { StandardInput = Encoding.UTF8.GetBytes("line one\nline two\n") },
            CancellationToken.None);

        Assert.Equal("line one\nline two\n", result.StandardOutput);
    }

    [Fact]
    public async Task Without_input_stdin_is_closed_so_a_reader_sees_end_of_file_at_once()
    {
        var result = await _runner.RunAsync(new ProcessRequest("cat", []) { Timeout = TimeSpan.FromSeconds(20) }, CancellationToken.None);

        Assert.Equal(string.Empty, result.StandardOutput);
    }

    [Fact]
    public async Task A_large_output_on_both_streams_does_not_deadlock_and_is_cut_at_the_cap()
    {
        var result = await _runner.RunAsync(
            new ProcessRequest("sh", ["-c", "head -c 3000000 /dev/zero; head -c 3000000 /dev/zero >&2"]) { MaxOutputBytes = 1 << 20 },
            CancellationToken.None);

        Assert.Equal(1 << 20, result.StandardOutput.Length);
        Assert.Equal(1 << 20, result.StandardError.Length);
        Assert.True(result.OutputTruncated);
    }

    [Fact]
    public async Task The_environment_has_LC_ALL_C_and_the_requested_changes()
    {
        Environment.SetEnvironmentVariable("IMAGE_UPDATE_TEST_REMOVED", "present");
        try
        {
            var result = await _runner.RunAsync(
                new ProcessRequest("sh", ["-c", "echo \"$LC_ALL/$EXTRA/${IMAGE_UPDATE_TEST_REMOVED-unset}\""])
                {
                    Environment = new Dictionary<string, string?> { ["EXTRA"] = "x y", ["IMAGE_UPDATE_TEST_REMOVED"] = null },
                },
                CancellationToken.None);

            Assert.Equal("C/x y/unset\n", result.StandardOutput);
        }
        finally
        {
            Environment.SetEnvironmentVariable("IMAGE_UPDATE_TEST_REMOVED", null);
        }
    }

    [Fact]
    public async Task A_non_zero_exit_names_the_command_the_status_and_the_escaped_stderr()
    {
        var e = await Assert.ThrowsAsync<ExternalToolException>(() => Run("sh", "-c", "printf 'ERROR: bad \\033[31mthing\\n' >&2; exit 3", "x y"));

        Assert.Equal(3, e.ToolExitCode);
        Assert.Equal(["sh", "-c", "printf 'ERROR: bad \\033[31mthing\\n' >&2; exit 3", "x y"], e.Command);
        Assert.Contains("exited with status 3: ERROR: bad \\x1b[31mthing", e.Message);
        Assert.Contains("\"x y\"", e.Message);
        Assert.Equal("ERROR: bad \u001b[31mthing\n", e.StandardError);
        Assert.DoesNotContain(e.Message, c => c < 0x20 || c == 0x7f);
    }

    [Fact]
    public async Task The_message_quotes_only_the_first_lines_of_stderr()
    {
        var e = await Assert.ThrowsAsync<ExternalToolException>(() => Run("sh", "-c", "for i in 1 2 3 4 5 6 7; do echo line$i >&2; done; exit 1"));

        Assert.Contains("line1 | line2 | line3 | line4 | (3 more lines)", e.Message);
        Assert.DoesNotContain("line5", e.Message);
        Assert.EndsWith("line7\n", e.StandardError);
    }

    [Fact]
    public async Task A_long_stderr_line_is_cut_in_the_message()
    {
        var e = await Assert.ThrowsAsync<ExternalToolException>(() => Run("sh", "-c", "head -c 5000 /dev/zero | tr '\\0' x >&2; exit 1"));

        Assert.Contains(new string('x', ExternalToolException.QuotedLineLength) + "...", e.Message);
        Assert.DoesNotContain(new string('x', ExternalToolException.QuotedLineLength + 1), e.Message);
    }

    [Fact]
    public async Task A_non_zero_exit_is_returned_when_the_caller_checks_it_itself()
    {
        var result = await _runner.RunAsync(new ProcessRequest("sh", ["-c", "exit 7"]) { CheckExitCode = false }, CancellationToken.None);

        Assert.Equal(7, result.ExitCode);
    }

    [Fact]
    public async Task A_missing_program_is_an_external_tool_error()
    {
        var e = await Assert.ThrowsAsync<ExternalToolException>(() => Run("/nonexistent/image-update-tool", "--help"));

        Assert.Null(e.ToolExitCode);
        Assert.Contains("'/nonexistent/image-update-tool --help' could not be started", e.Message);
    }

    [Fact]
    public async Task A_timeout_kills_the_whole_process_tree()
    {
        var pidFile = Path.Combine(Path.GetTempPath(), $"image-update-runner-{Guid.NewGuid():N}");
        try
        {
            var started = DateTime.UtcNow;
            var e = await Assert.ThrowsAsync<ExternalToolException>(() => _runner.RunAsync(
                new ProcessRequest("sh", ["-c", $"sleep 300 & echo $! > {pidFile}; echo partial >&2; wait"]) { Timeout = TimeSpan.FromSeconds(1) },
                CancellationToken.None));

            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30));
            Assert.Null(e.ToolExitCode);
            Assert.Contains("did not finish within 1 s and was killed: partial", e.Message);
            var grandchild = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(await ExitsSoon(grandchild), $"sleep (pid {grandchild}) survived the timeout");
        }
        finally
        {
            File.Delete(pidFile);
        }
    }

    [Fact]
    public async Task Cancellation_kills_the_process_and_throws_operation_canceled()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var started = DateTime.UtcNow;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _runner.RunAsync(new ProcessRequest("sleep", ["300"]), cancel.Token));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30));
    }

    private static async Task<bool> ExitsSoon(int pid)
    {
        for (var i = 0; i < 50; i++)
        {
            // A killed child of an exited shell is reaped by init; until then it is a zombie ('Z').
            var stat = $"/proc/{pid}/stat";
            if (!File.Exists(stat) || File.ReadAllText(stat).Split(' ')[2] == "Z")
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }
}
