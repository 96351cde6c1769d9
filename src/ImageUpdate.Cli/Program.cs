using ImageUpdate.Cli.Commands;
using ImageUpdate.Foundation.Diagnostics;
using ImageUpdate.Update.Engine;

namespace ImageUpdate.Cli;

public static class Program
{
    public static Task<int> Main(string[] args)
    {
        // The one read of the environment: everything the library honours comes from this snapshot.
        var environment = HostEnvironment.From(Environment.GetEnvironmentVariables());
        CrashPoint.Arm(environment.CrashAt, environment.PauseAt);
        return new CommandLineApp(Console.Out, Console.Error, environment).RunAsync(args);
    }
}
