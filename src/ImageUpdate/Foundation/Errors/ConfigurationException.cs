namespace ImageUpdate.Foundation.Errors;

/// <summary>A definition file (transfer, feature, component) is malformed: names the file, the line and the key.</summary>
public sealed class ConfigurationException : ImageUpdateException
{
    public ConfigurationException(string message) : base(message) { }

    public ConfigurationException(string file, int line, string? key, string message)
        : base(Format(file, line, key, message))
    {
        File = file;
        Line = line;
        Key = key;
    }

    public string? File { get; }

    public int Line { get; }

    public string? Key { get; }

    private static string Format(string file, int line, string? key, string message)
    {
        var where = line > 0 ? $"{file}:{line}" : file;
        return key is null ? $"{where}: {message}" : $"{where}: {key}: {message}";
    }
}
