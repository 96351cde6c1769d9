using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ImageUpdate.Systemd.Reporting;

/// <summary>
/// One JSON document in the two shapes sd-json prints: short (compact, as Utf8JsonWriter writes it)
/// and pretty (tab-indented, `"key" : value`, empty containers as `[]` and `{}`), so scripts written
/// against systemd-sysupdate's output read ours unchanged.
/// </summary>
public static class SdJson
{
    /// <summary>The document <paramref name="build"/> writes, without a trailing newline.</summary>
    public static string Format(JsonStyle style, Action<Utf8JsonWriter> build)
    {
        var compact = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(compact, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            build(json);
        }

        return style == JsonStyle.Pretty ? Pretty(compact.WrittenSpan) : Encoding.UTF8.GetString(compact.WrittenSpan);
    }

    public static void WriteStrings(this Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    /// <summary>Re-indents compact JSON the way sd_json_variant_dump(SD_JSON_FORMAT_PRETTY) does.</summary>
    public static string Pretty(ReadOnlySpan<byte> compact)
    {
        var reader = new Utf8JsonReader(compact);
        var output = new StringBuilder();
        var depth = 0;
        var firstInContainer = false;
        var afterProperty = false;

        void NewItem()
        {
            if (afterProperty)
            {
                afterProperty = false;
                return;
            }

            if (depth > 0)
            {
                output.Append(firstInContainer ? "\n" : ",\n").Append('\t', depth);
            }

            firstInContainer = false;
        }

        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    NewItem();
                    output.Append(reader.TokenType == JsonTokenType.StartObject ? '{' : '[');
                    depth++;
                    firstInContainer = true;
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    depth--;
                    if (!firstInContainer)
                    {
                        output.Append('\n').Append('\t', depth);
                    }

                    output.Append(reader.TokenType == JsonTokenType.EndObject ? '}' : ']');
                    firstInContainer = false;
                    break;
                case JsonTokenType.PropertyName:
                    NewItem();
                    output.Append(Encoding.UTF8.GetString(RawToken(ref reader, compact))).Append(" : ");
                    afterProperty = true;
                    break;
                default:
                    NewItem();
                    output.Append(Encoding.UTF8.GetString(RawToken(ref reader, compact)));
                    break;
            }
        }

        return output.ToString();
    }

    // The token exactly as written in the compact text (strings keep their quotes and escapes).
    private static ReadOnlySpan<byte> RawToken(ref Utf8JsonReader reader, ReadOnlySpan<byte> compact)
    {
        var start = (int)reader.TokenStartIndex;
        var length = reader.ValueSpan.Length + (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName ? 2 : 0);
        return compact.Slice(start, reader.ValueIsEscaped ? FindEnd(compact, start) - start : length);
    }

    private static int FindEnd(ReadOnlySpan<byte> compact, int start)
    {
        // start is at the opening quote; find the closing one, skipping escapes.
        for (var i = start + 1; i < compact.Length; i++)
        {
            if (compact[i] == '\\')
            {
                i++;
            }
            else if (compact[i] == '"')
            {
                return i + 1;
            }
        }

        return compact.Length;
    }
}
