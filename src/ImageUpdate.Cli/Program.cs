using ImageUpdate.Cli.Commands;

namespace ImageUpdate.Cli;

public static class Program
{
    public static int Main(string[] args) => new CommandLineApp(Console.Out, Console.Error).Run(args);
}
