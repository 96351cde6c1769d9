using System.Collections;
using System.Diagnostics.CodeAnalysis;
using ImageUpdate.Update.Engine;

namespace ImageUpdate.Cli;

/// <summary>
/// The process environment as the variables of a <see cref="HostEnvironment"/>: a variable is read
/// (getenv) when the library asks for it by name, and the whole set only if something enumerates it.
/// Nothing in the program sets a variable, so each read gives what a snapshot taken at start would
/// hold. Taking that snapshot up front (<see cref="Environment.GetEnvironmentVariables()"/> decodes
/// every variable into the runtime's dictionary, then copies it into a Hashtable, which was copied
/// again) was about 1.5% of a `list`'s CPU time, for the dozen variables a run looks at.
/// </summary>
internal sealed class ProcessEnvironment : IReadOnlyDictionary<string, string>
{
    private IReadOnlyDictionary<string, string>? _all;

    public int Count => All.Count;

    public IEnumerable<string> Keys => All.Keys;

    public IEnumerable<string> Values => All.Values;

    /// <summary>Every variable, read once on first use (a name that appears twice keeps its first value, as getenv finds it).</summary>
    private IReadOnlyDictionary<string, string> All => _all ??= HostEnvironment.From(Environment.GetEnvironmentVariables()).Variables;

    public string this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"The environment variable {key} is not set.");

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        value = Environment.GetEnvironmentVariable(key);
        return value is not null;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => All.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
