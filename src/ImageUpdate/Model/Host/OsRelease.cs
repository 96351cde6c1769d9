using System.Text;

namespace ImageUpdate.Model.Host;

/// <summary>
/// The fields of an os-release file (os-release(5)): ROOT/etc/os-release, else ROOT/usr/lib/os-release,
/// parsed with the shell-like rules of systemd's parse_env_file (quotes, backslash escapes, comments).
/// </summary>
public sealed class OsRelease
{
    private readonly Dictionary<string, string> _fields;

    private OsRelease(Dictionary<string, string> fields, string? path)
    {
        _fields = fields;
        Path = path;
    }

    /// <summary>The file the fields came from (null when parsed from text).</summary>
    public string? Path { get; }

    public IReadOnlyDictionary<string, string> Fields => _fields;

    /// <summary>A field's value, or null when the file does not set it.</summary>
    public string? this[string key] => _fields.TryGetValue(key, out var value) ? value : null;

    /// <summary>
    /// Reads ROOT/etc/os-release, falling back to ROOT/usr/lib/os-release; null when neither exists
    /// (systemd then fails the os-release specifiers with EUNATCH).
    /// </summary>
    public static OsRelease? Read(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        foreach (var relative in (ReadOnlySpan<string>)["etc/os-release", "usr/lib/os-release"])
        {
            var path = System.IO.Path.Combine(root, relative);
            if (File.Exists(path))
            {
                return new OsRelease(ParseFields(File.ReadAllText(path, Encoding.UTF8)), path);
            }
        }

        return null;
    }

    public static OsRelease Parse(string text) => new(ParseFields(text), null);

    private enum State
    {
        PreKey,
        Key,
        PreValue,
        Value,
        ValueEscape,
        SingleQuote,
        DoubleQuote,
        DoubleQuoteEscape,
        Comment,
        CommentEscape,
    }

    // A transcription of parse_env_file's state machine (env-file.c) into C#: KEY=VALUE lines,
    // '#'/';' comments, single quotes literal, double quotes with \" \\ \` \$ escapes, an unquoted
    // backslash escaping the next character, backslash-newline continuing a line, trailing
    // unquoted whitespace dropped, later assignments winning.
    private static Dictionary<string, string> ParseFields(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var key = new StringBuilder();
        var value = new StringBuilder();
        var state = State.PreKey;
        int lastKeyWhitespace = -1, lastValueWhitespace = -1;

        void Commit()
        {
            if (lastKeyWhitespace >= 0)
            {
                key.Length = lastKeyWhitespace;
            }

            if (lastValueWhitespace >= 0)
            {
                value.Length = lastValueWhitespace;
            }

            if (key.Length > 0)
            {
                fields[key.ToString()] = value.ToString();
            }

            key.Clear();
            value.Clear();
            lastKeyWhitespace = lastValueWhitespace = -1;
        }

        foreach (var c in text)
        {
            var newline = c is '\n' or '\r';
            var whitespace = c is ' ' or '\t' || newline;
            switch (state)
            {
                case State.PreKey:
                    if (c is '#' or ';')
                    {
                        state = State.Comment;
                    }
                    else if (!whitespace)
                    {
                        state = State.Key;
                        key.Append(c);
                    }

                    break;
                case State.Key:
                    if (newline)
                    {
                        key.Clear();
                        lastKeyWhitespace = -1;
                        state = State.PreKey;
                    }
                    else if (c == '=')
                    {
                        state = State.PreValue;
                        lastValueWhitespace = -1;
                    }
                    else
                    {
                        if (!whitespace)
                        {
                            lastKeyWhitespace = -1;
                        }
                        else if (lastKeyWhitespace < 0)
                        {
                            lastKeyWhitespace = key.Length;
                        }

                        key.Append(c);
                    }

                    break;
                case State.PreValue:
                    if (newline)
                    {
                        state = State.PreKey;
                        Commit();
                    }
                    else if (c == '\'')
                    {
                        state = State.SingleQuote;
                    }
                    else if (c == '"')
                    {
                        state = State.DoubleQuote;
                    }
                    else if (c == '\\')
                    {
                        state = State.ValueEscape;
                    }
                    else if (!whitespace)
                    {
                        state = State.Value;
                        value.Append(c);
                    }

                    break;
                case State.Value:
                    if (newline)
                    {
                        state = State.PreKey;
                        Commit();
                    }
                    else if (c == '\\')
                    {
                        state = State.ValueEscape;
                        lastValueWhitespace = -1;
                    }
                    else
                    {
                        if (!whitespace)
                        {
                            lastValueWhitespace = -1;
                        }
                        else if (lastValueWhitespace < 0)
                        {
                            lastValueWhitespace = value.Length;
                        }

                        value.Append(c);
                    }

                    break;
                case State.ValueEscape:
                    state = State.Value;
                    if (!newline)
                    {
                        value.Append(c);
                    }

                    break;
                case State.SingleQuote:
                    if (c == '\'')
                    {
                        state = State.PreValue;
                    }
                    else
                    {
                        value.Append(c);
                    }

                    break;
                case State.DoubleQuote:
                    if (c == '"')
                    {
                        state = State.PreValue;
                    }
                    else if (c == '\\')
                    {
                        state = State.DoubleQuoteEscape;
                    }
                    else
                    {
                        value.Append(c);
                    }

                    break;
                case State.DoubleQuoteEscape:
                    state = State.DoubleQuote;
                    if (c is '"' or '\\' or '`' or '$')
                    {
                        value.Append(c);
                    }
                    else if (!newline)
                    {
                        value.Append('\\').Append(c);
                    }

                    break;
                case State.Comment:
                    if (c == '\\')
                    {
                        state = State.CommentEscape;
                    }
                    else if (newline)
                    {
                        state = State.PreKey;
                    }

                    break;
                case State.CommentEscape:
                    state = State.Comment;
                    break;
            }
        }

        if (state is State.PreValue or State.Value or State.ValueEscape or State.SingleQuote
            or State.DoubleQuote or State.DoubleQuoteEscape)
        {
            Commit();
        }

        return fields;
    }
}
