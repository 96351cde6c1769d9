using ImageUpdate.Formats.Pe;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Platform.Processes;
using ImageUpdate.Update.Verity;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Imaging;

/// <summary>
/// The version's unified kernel image, made by build-image: the `--uki-*` inputs assembled by
/// <see cref="UkiAssembler"/> (ukify 262's layout) with the image's verity root hashes added to the
/// command line (<c>roothash=</c> for a root partition, <c>usrhash=</c> for /usr: what
/// systemd-veritysetup-generator and the demo's initramfs read), then signed for Secure Boot with
/// sbsign (sbsigntool) when a key is given, so the root hash is covered by the signature the firmware
/// checks. The unsigned bytes depend on the inputs alone; sbsign adds its signing time to the signature.
/// </summary>
public static class UkiBuild
{
    /// <summary>A file larger than this is refused as a UKI input (the whole UKI is assembled in memory).</summary>
    public const long MaximumInputBytes = 1L << 30;

    /// <summary>
    /// The command line the UKI gets: <paramref name="commandLine"/> with its whitespace runs made single
    /// spaces (as ukify takes a command line given as text), then <c>KEY=HEX</c> for each root hash.
    /// </summary>
    public static string CommandLine(string? commandLine, IReadOnlyList<(string Key, ReadOnlyMemory<byte> RootHash)> rootHashes)
    {
        ArgumentNullException.ThrowIfNull(rootHashes);
        var words = (commandLine ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToList();
        foreach (var (key, rootHash) in rootHashes)
        {
            if (UkiCommandLine.Values(commandLine ?? "", key).Count > 0)
            {
                throw new UsageException($"--uki-cmdline already has {key}=; build-image adds it from the image's verity partition.");
            }

            words.Add($"{key}={Convert.ToHexStringLower(rootHash.Span)}");
        }

        return string.Join(' ', words);
    }

    /// <summary>
    /// Assembles the UKI into <paramref name="output"/> (through a temporary beside it), signed with
    /// <paramref name="signer"/> when given.
    /// </summary>
    public static async Task WriteAsync(
        UkiBuildOptions options,
        IReadOnlyList<(string Key, ReadOnlyMemory<byte> RootHash)> rootHashes,
        string output,
        (string Key, string Certificate)? signer,
        IProcessRunner runner,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runner);
        var commandLine = CommandLine(options.CommandLine, rootHashes);
        var contents = new UkiContents
        {
            Stub = await ReadAsync(options.Stub, "systemd-stub (--uki-stub)", cancellationToken).ConfigureAwait(false),
            StubSource = options.Stub,
            Linux = await ReadAsync(options.Linux, "kernel (--uki-linux)", cancellationToken).ConfigureAwait(false),
            LinuxSource = options.Linux,
            Initrds = await Task.WhenAll(options.Initrds.Select(i => ReadAsync(i, "initrd (--uki-initrd)", cancellationToken))).ConfigureAwait(false),
            OsRelease = options.OsRelease is { } osRelease ? await ReadAsync(osRelease, "os-release (--uki-os-release)", cancellationToken).ConfigureAwait(false) : null,
            CommandLine = commandLine,
            Uname = options.Uname,
        };
        var uki = UkiAssembler.Build(contents);

        var directory = Path.GetDirectoryName(output)!;
        var unsigned = Path.Combine(directory, $".#{Path.GetFileName(output)}.unsigned");
        var signed = Path.Combine(directory, $".#{Path.GetFileName(output)}.signed");
        try
        {
            await File.WriteAllBytesAsync(unsigned, uki, cancellationToken).ConfigureAwait(false);
            if (signer is { } s)
            {
                // Authenticode over the whole PE image, .cmdline included, as the firmware checks it against db.
                // sbsign writes into a temporary beside the output, renamed only once it succeeded: a failing or
                // cancelled sbsign leaves no partial UKI under the output's name.
                await runner.RunAsync(new ProcessRequest("sbsign", ["--key", s.Key, "--cert", s.Certificate, "--output", signed, unsigned]), cancellationToken).ConfigureAwait(false);
                AtomicRename.Rename(signed, output, replace: true);
                logger.LogInformation("Signed the UKI {Output} for Secure Boot with {Certificate}.", output, s.Certificate);
            }
            else
            {
                AtomicRename.Rename(unsigned, output, replace: true);
            }
        }
        finally
        {
            File.Delete(unsigned);
            File.Delete(signed);
        }

        logger.LogInformation("Built the UKI {Output} ({Size} bytes) with the command line '{CommandLine}'.", output, uki.Length, commandLine);
    }

    private static async Task<ReadOnlyMemory<byte>> ReadAsync(string path, string what, CancellationToken cancellationToken)
    {
        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaximumInputBytes)
            {
                throw new DiskImageException($"The UKI's {what} '{UntrustedText.Escape(path)}' has {length} bytes, more than {MaximumInputBytes}.");
            }

            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DiskImageException($"Cannot read the UKI's {what} '{UntrustedText.Escape(path)}': {e.Message}", e);
        }
    }
}
