using System.Text.Json;
using ImageUpdate.Systemd.Reporting;

namespace ImageUpdate.Cli.Output;

/// <summary>
/// Prints one JSON document on stdout in the --json mode asked for; the documents themselves are
/// written by the library (<see cref="SysupdateJson"/>, <see cref="ImageUpdateJson"/>) in sd-json's
/// shapes (<see cref="SdJson"/>), which `serve` shares.
/// </summary>
public static class JsonOutput
{
    public static void Write(TextWriter writer, JsonMode mode, Action<Utf8JsonWriter> build) =>
        writer.WriteLine(SdJson.Format(mode == JsonMode.Pretty ? JsonStyle.Pretty : JsonStyle.Short, build));

    /// <summary>Re-indents compact JSON the way sd_json_variant_dump(SD_JSON_FORMAT_PRETTY) does (<see cref="SdJson.Pretty"/>).</summary>
    public static string Pretty(ReadOnlySpan<byte> compact) => SdJson.Pretty(compact);
}
