namespace ImageUpdate.Platform.Varlink;

/// <summary>The bounds every connection holds its peer to, whoever the peer is.</summary>
public static class VarlinkLimits
{
    /// <summary>
    /// The largest message (without its NUL) read or written: sd-varlink's own buffer bound, so
    /// anything systemd's varlinkctl sends fits, and a peer that never sends the NUL costs at most this.
    /// </summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    /// <summary>How deep a message's JSON may nest (System.Text.Json's default; no reply of ours nests a tenth as deep).</summary>
    public const int MaxJsonDepth = 64;

    /// <summary>How much is read from the socket at once.</summary>
    public const int ReadChunkBytes = 64 * 1024;
}
