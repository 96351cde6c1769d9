using System.Text.Json;

namespace ImageUpdate.Platform.Varlink;

/// <summary>A reply as a client receives it: its parameters object (empty when absent) and whether more replies follow.</summary>
public sealed record VarlinkReply(JsonElement Parameters, bool Continues)
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = VarlinkLimits.MaxJsonDepth };

    /// <summary>Parses one reply message; an error reply becomes a <see cref="VarlinkErrorException"/>.</summary>
    public static VarlinkReply Parse(ReadOnlySpan<byte> message)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message.ToArray(), DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new VarlinkException($"Varlink reply is not valid JSON ({e.Message}): {VarlinkCall.Quote(message)}", e);
        }

        try
        {
            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new VarlinkException($"Varlink reply is not a JSON object: {VarlinkCall.Quote(message)}");
                }

                if (root.TryGetProperty("error", out var error))
                {
                    throw error.ValueKind == JsonValueKind.String && error.GetString() is { Length: > 0 } name
                        ? new VarlinkErrorException(name)
                        : new VarlinkException($"Varlink reply has an 'error' that is not a name: {VarlinkCall.Quote(message)}");
                }

                var parameters = root.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object
                    ? p.Clone()
                    : JsonDocument.Parse("{}"u8.ToArray()).RootElement.Clone();
                var continues = root.TryGetProperty("continues", out var c) && c.ValueKind == JsonValueKind.True;
                return new VarlinkReply(parameters, continues);
            }
        }
        catch (InvalidOperationException e)
        {
            // JsonDocument accepts an escaped lone surrogate that reading it as a string refuses.
            throw new VarlinkException($"Varlink reply holds a string that is not valid UTF-16 ({e.Message}): {VarlinkCall.Quote(message)}", e);
        }
    }
}
