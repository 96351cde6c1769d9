using System.Text.Json;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.Varlink;

/// <summary>
/// A method call as it arrives (varlink.org "Method Call"): the fully qualified method, its
/// parameters object (empty when absent) and the oneway/more/upgrade flags. The parameters are a
/// clone, so the call outlives the bytes it came from.
/// </summary>
public sealed record VarlinkCall(string Method, JsonElement Parameters, bool Oneway, bool More, bool Upgrade)
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = VarlinkLimits.MaxJsonDepth };

    /// <summary>The interface part of <see cref="Method"/> (before its last dot).</summary>
    public string Interface => Method.LastIndexOf('.') is > 0 and var dot ? Method[..dot] : "";

    /// <summary>Parses one message; anything but a JSON object with a string "method" is a <see cref="VarlinkException"/>.</summary>
    public static VarlinkCall Parse(ReadOnlySpan<byte> message)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message.ToArray(), DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new VarlinkException($"Varlink message is not valid JSON ({e.Message}): {Quote(message)}", e);
        }

        try
        {
            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new VarlinkException($"Varlink message is not a JSON object: {Quote(message)}");
                }

                string? method = null;
                var parameters = default(JsonElement);
                bool oneway = false, more = false, upgrade = false;
                foreach (var member in root.EnumerateObject())
                {
                    switch (member.Name)
                    {
                        case "method" when member.Value.ValueKind == JsonValueKind.String:
                            method = member.Value.GetString();
                            break;
                        case "parameters" when member.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Null:
                            parameters = member.Value.ValueKind == JsonValueKind.Object ? member.Value.Clone() : default;
                            break;
                        case "oneway" when member.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                            oneway = member.Value.GetBoolean();
                            break;
                        case "more" when member.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                            more = member.Value.GetBoolean();
                            break;
                        case "upgrade" when member.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                            upgrade = member.Value.GetBoolean();
                            break;
                        case "method" or "parameters" or "oneway" or "more" or "upgrade":
                            throw new VarlinkException($"Varlink message has a '{member.Name}' of the wrong type: {Quote(message)}");
                        default:
                            break; // Unknown top-level members are the protocol's room to grow.
                    }
                }

                if (string.IsNullOrEmpty(method))
                {
                    throw new VarlinkException($"Varlink message names no method: {Quote(message)}");
                }

                return new VarlinkCall(method, parameters.ValueKind == JsonValueKind.Object ? parameters : EmptyObject(), oneway, more, upgrade);
            }
        }
        catch (InvalidOperationException e)
        {
            // JsonDocument accepts an escaped lone surrogate that reading it as a string refuses.
            throw new VarlinkException($"Varlink message holds a string that is not valid UTF-16 ({e.Message}): {Quote(message)}", e);
        }
    }

    private static JsonElement EmptyObject()
    {
        using var empty = JsonDocument.Parse("{}"u8.ToArray());
        return empty.RootElement.Clone();
    }

    /// <summary>The first 200 bytes of a peer's message, escaped for one log line.</summary>
    internal static string Quote(ReadOnlySpan<byte> message)
    {
        const int Shown = 200;
        return $"'{UntrustedText.Escape(message[..Math.Min(message.Length, Shown)])}'" + (message.Length > Shown ? $" (and {message.Length - Shown} more bytes)" : "");
    }
}
