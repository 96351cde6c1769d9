using System.Text;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// A match rule (D-Bus Specification 0.41 §Match Rules) for signals: sent to the bus with AddMatch
/// so it routes them here, and applied locally to pick the handler. A well-known
/// <see cref="Sender"/> is left to the bus (messages carry the unique name of its owner).
/// </summary>
public sealed record MatchRule
{
    public MessageType Type { get; init; } = MessageType.Signal;

    public string? Sender { get; init; }

    public string? Interface { get; init; }

    public string? Member { get; init; }

    public ObjectPath? Path { get; init; }

    /// <summary>Matches <see cref="Path"/>-like, but for the path and everything below it.</summary>
    public ObjectPath? PathNamespace { get; init; }

    public string? Destination { get; init; }

    /// <summary>The first body argument, when it is a string, must equal this.</summary>
    public string? Arg0 { get; init; }

    public bool Matches(DBusMessage message)
    {
        if (message.Type != Type
            || (Interface is not null && message.Interface != Interface)
            || (Member is not null && message.Member != Member)
            || (Path is { } path && message.Path != path)
            || (Destination is not null && message.Destination != Destination)
            || (Sender is { } sender && sender.StartsWith(':') && message.Sender != sender))
        {
            return false;
        }

        if (PathNamespace is { } ns && message.Path is { } messagePath)
        {
            var prefix = ns.Value == "/" ? "/" : ns.Value + "/";
            if (messagePath.Value != ns.Value && !messagePath.Value.StartsWith(prefix, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return Arg0 is null || (message.Body.Count > 0 && message.Body[0] is string arg0 && arg0 == Arg0);
    }

    /// <summary>The rule text AddMatch takes: key='value' pairs, a quote inside a value written '\''.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        void Add(string key, string? value)
        {
            if (value is null)
            {
                return;
            }

            if (text.Length > 0)
            {
                text.Append(',');
            }

            text.Append(key).Append("='").Append(value.Replace("'", "'\\''", StringComparison.Ordinal)).Append('\'');
        }

        Add("type", Type switch
        {
            MessageType.MethodCall => "method_call",
            MessageType.MethodReturn => "method_return",
            MessageType.Error => "error",
            _ => "signal",
        });
        Add("sender", Sender);
        Add("interface", Interface);
        Add("member", Member);
        Add("path", Path?.Value);
        Add("path_namespace", PathNamespace?.Value);
        Add("destination", Destination);
        Add("arg0", Arg0);
        return text.ToString();
    }
}
