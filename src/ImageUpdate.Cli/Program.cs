using ImageUpdate.Cli.Commands;
using ImageUpdate.Cli.Output;
using ImageUpdate.Foundation.Diagnostics;
using ImageUpdate.Update.Engine;

namespace ImageUpdate.Cli;

public static class Program
{
    public static Task<int> Main(string[] args)
    {
        // The one reader of the environment: everything the library honours comes through it.
        var environment = new HostEnvironment(new ProcessEnvironment());
        CrashPoint.Arm(environment.CrashAt, environment.PauseAt);

        // stderr has one owner, so the live progress line of a terminal and log lines never mix.
        return new CommandLineApp(Console.Out, new TerminalWriter(Console.Error, !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb"), environment).RunAsync(args);
    }
}
