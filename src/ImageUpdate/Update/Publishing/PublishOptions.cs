namespace ImageUpdate.Update.Publishing;

/// <summary>What <c>image-update publish</c> was asked to do; paths are absolute.</summary>
public sealed record PublishOptions
{
    /// <summary>The sysupdate.d directory whose transfers name the files (--definitions).</summary>
    public required string DefinitionsDirectory { get; init; }

    /// <summary>The version to publish (--version).</summary>
    public required string Version { get; init; }

    /// <summary>Where the version's payloads are, one per transfer, named by its source MatchPattern (--payloads).</summary>
    public required string PayloadsDirectory { get; init; }

    /// <summary>The server directory: payloads, SHA256SUMS and SHA256SUMS.gpg (--output).</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>The gpg secret key export to sign with (--signing-key).</summary>
    public required string SigningKeyPath { get; init; }

    public PublishCompression Compression { get; init; } = PublishCompression.None;

    /// <summary>How many versions SHA256SUMS keeps, the newest; null keeps all (--keep).</summary>
    public int? Keep { get; init; }

    /// <summary>The BEST-BEFORE-YYYY-MM-DD marker to write (--best-before); null writes none.</summary>
    public DateOnly? BestBefore { get; init; }

    /// <summary>
    /// Also publish each payload P as a casync blob index P.caibx (listed in SHA256SUMS) with its chunks
    /// in <see cref="Publisher.ChunkStoreName"/> of the output directory, for delta updates (--chunk-store).
    /// </summary>
    public bool ChunkStore { get; init; }

    /// <summary>Replace the version when SHA256SUMS already lists it (--force).</summary>
    public bool Force { get; init; }

    /// <summary>Where to write the public keyring; null means <see cref="DefaultKeyringName"/> in the output directory.</summary>
    public string? KeyringExportPath { get; init; }

    /// <summary>The signature's creation time (SOURCE_DATE_EPOCH for reproducible output); null means now.</summary>
    public DateTimeOffset? SigningTime { get; init; }

    /// <summary>The default name of the exported public keyring, next to SHA256SUMS (not listed in it).</summary>
    public const string DefaultKeyringName = "keyring.gpg";

    public string KeyringPath => KeyringExportPath ?? Path.Combine(OutputDirectory, DefaultKeyringName);
}
