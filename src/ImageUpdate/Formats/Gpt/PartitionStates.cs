using System.Security.Cryptography;

namespace ImageUpdate.Formats.Gpt;

/// <summary>
/// The partition types systemd-sysupdate gives a slot while it is being written (sysupdate.md §3,
/// "Partition target"): P(T) while the data streams in ("partial"), D(T) once it is complete but not
/// yet installed ("pending"), T when installed. Both are derived from T with sd_id128_get_app_specific,
/// so a half-written slot never carries a type anything boots, and both tools recognise each other's.
/// </summary>
public static class PartitionStates
{
    /// <summary>systemd GPT_SYSUPDATE_PARTIAL_APP_ID.</summary>
    public static readonly Guid PartialAppId = new("accfa0c2-da24-460a-9fc9-0bb8fc785219");

    /// <summary>systemd GPT_SYSUPDATE_PENDING_APP_ID.</summary>
    public static readonly Guid PendingAppId = new("80f3d61e-2383-43b9-81f5-ce3793f47d4c");

    private const int IdLength = 16;

    public static Guid PartialTypeFor(Guid type) => AppSpecific(type, PartialAppId);

    public static Guid PendingTypeFor(Guid type) => AppSpecific(type, PendingAppId);

    /// <summary>
    /// sd_id128_get_app_specific(base, app): HMAC-SHA256 keyed with the 16 bytes of <paramref name="baseId"/>
    /// over the 16 bytes of <paramref name="appId"/>, the first 16 bytes of the MAC made a version 4,
    /// RFC 4122 variant UUID. sd_id128_t holds its bytes in the order the UUID is written (big-endian
    /// fields), unlike System.Guid's in-memory and GPT on-disk layout, hence the big-endian conversions.
    /// </summary>
    public static Guid AppSpecific(Guid baseId, Guid appId)
    {
        if (appId == Guid.Empty)
        {
            throw new ArgumentException("The application ID must not be null (sd_id128_get_app_specific refuses it with ENXIO).", nameof(appId));
        }

        Span<byte> key = stackalloc byte[IdLength];
        Span<byte> message = stackalloc byte[IdLength];
        baseId.TryWriteBytes(key, bigEndian: true, out _);
        appId.TryWriteBytes(message, bigEndian: true, out _);

        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, message, mac);

        var id = mac[..IdLength];
        id[6] = (byte)((id[6] & 0x0F) | 0x40); // version 4 in the high nibble of time_hi_and_version
        id[8] = (byte)((id[8] & 0x3F) | 0x80); // RFC 4122 variant (10xx) in clock_seq_hi
        return new Guid(id, bigEndian: true);
    }
}
