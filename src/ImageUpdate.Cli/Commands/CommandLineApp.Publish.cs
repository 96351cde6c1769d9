using System.CommandLine;
using System.Globalization;
using ImageUpdate.Cli.Output;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.Processes;
using ImageUpdate.Systemd.Reporting;
using ImageUpdate.Update.Publishing;

namespace ImageUpdate.Cli.Commands;

public sealed partial class CommandLineApp
{
    /// <summary>
    /// <c>publish --definitions DIR --version V --payloads DIR --output DIR --signing-key KEY</c>
    /// (issue 6): --definitions is the global option, required here.
    /// </summary>
    private void AddPublishVerb(Command root)
    {
        var version = new Option<string>("--version") { Description = "The version to publish", HelpName = "VERSION", Required = true };
        var payloads = new Option<string>("--payloads") { Description = "Directory holding the version's payloads, one per transfer, named by its source MatchPattern", HelpName = "DIR", Required = true };
        var output = new Option<string>("--output") { Description = "The update server directory: payloads, SHA256SUMS, SHA256SUMS.gpg", HelpName = "DIR", Required = true };
        var signingKey = new Option<string>("--signing-key") { Description = "OpenPGP secret key (gpg --export-secret-keys, no passphrase; RSA or Ed25519)", HelpName = "FILE", Required = true };
        var compress = new Option<string?>("--compress") { Description = "Compress each payload: zstd, xz or gzip", HelpName = "FORMAT" };
        compress.AcceptOnlyFromAmong("zstd", "xz", "gzip");
        var keep = new Option<int?>("--keep") { Description = "Keep only the newest N versions in SHA256SUMS, deleting the older ones' files", HelpName = "N" };
        var bestBefore = new Option<string?>("--best-before") { Description = "Add a BEST-BEFORE-YYYY-MM-DD marker: devices refuse the list from that day on", HelpName = "YYYY-MM-DD" };
        var force = new Option<bool>("--force") { Description = "Replace the version if SHA256SUMS already lists it" };
        var chunkStore = new Option<bool>("--chunk-store") { Description = $"Also write a casync index P{Publisher.IndexSuffix} beside each payload P and its chunks into {Publisher.ChunkStoreName}/, for delta updates" };
        var exportKeyring = new Option<string?>("--export-keyring") { Description = $"Write the public keyring here (default: {PublishOptions.DefaultKeyringName} in the output directory)", HelpName = "FILE" };

        var publish = new Command("publish", "Put a version's payloads on an update server directory and sign its SHA256SUMS")
        {
            version, payloads, output, signingKey, compress, keep, bestBefore, force, chunkStore, exportKeyring,
        };
        publish.SetAction(async (r, ct) =>
        {
            var definitions = r.GetValue(_global.Definitions)
                ?? throw new UsageException("publish needs --definitions DIR: the transfers whose source patterns name the files.");
            var options = new PublishOptions
            {
                DefinitionsDirectory = Path.GetFullPath(definitions),
                Version = r.GetValue(version)!,
                PayloadsDirectory = Path.GetFullPath(r.GetValue(payloads)!),
                OutputDirectory = Path.GetFullPath(r.GetValue(output)!),
                SigningKeyPath = Path.GetFullPath(r.GetValue(signingKey)!),
                Compression = r.GetValue(compress) switch
                {
                    "zstd" => PublishCompression.Zstd,
                    "xz" => PublishCompression.Xz,
                    "gzip" => PublishCompression.Gzip,
                    _ => PublishCompression.None,
                },
                Keep = r.GetValue(keep),
                BestBefore = ParseDate(r.GetValue(bestBefore)),
                Force = r.GetValue(force),
                ChunkStore = r.GetValue(chunkStore),
                KeyringExportPath = r.GetValue(exportKeyring) is { } path ? Path.GetFullPath(path) : null,
                SigningTime = SourceDateEpoch.Parse(_environment.SourceDateEpoch),
            };

            var logger = CreateLogger(r);
            var result = await new Publisher(new ProcessRunner(), logger: logger).PublishAsync(options, ct).ConfigureAwait(false);
            WritePublishResult(result, _global.JsonMode(r));
            return 0;
        });
        root.Subcommands.Add(publish);
    }

    private static DateOnly? ParseDate(string? text) =>
        text is null ? null
        : DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day
        : throw new UsageException($"--best-before \"{UntrustedText.Escape(text)}\" is not a YYYY-MM-DD date.");

    private void WritePublishResult(PublishResult result, JsonMode json)
    {
        if (json == JsonMode.Off)
        {
            foreach (var file in result.Files)
            {
                _out.WriteLine($"{file.Sha256}  {file.FileName}");
            }

            _out.WriteLine($"Published {result.Version}, signed by {result.SigningKeyFingerprint}; listed: {string.Join(", ", result.Versions)}.");
            return;
        }

        JsonOutput.Write(_out, json, w => ImageUpdateJson.WritePublishResult(w, result));
    }
}
