using System.Text.Json.Serialization;

namespace ImageUpdate.Platform.Transport;

/// <summary>Source-generated JSON for the partial-download sidecar (the assembly is trimmable: no reflection).</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(PartialDownloadState))]
internal sealed partial class TransportJsonContext : JsonSerializerContext
{
}
