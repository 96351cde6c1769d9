namespace ImageUpdate.Foundation.Errors;

/// <summary>The command line asks for something that cannot be combined or is out of range (exit code 2).</summary>
public sealed class UsageException : ImageUpdateException
{
    public UsageException(string message) : base(message) { }

    public override int ExitCode => 2;
}
