namespace ImageUpdate.Formats.Verification;

/// <summary>
/// What <c>image-update keys list</c> shows about a trusted key, so an admin can compare it with a
/// published fingerprint. <see cref="Fingerprint"/> is the v4 fingerprint as 40 upper-case hex digits.
/// <see cref="Algorithm"/> is gpg's short form (<c>rsa3072</c>, <c>ed25519</c>, <c>cv25519</c>).
/// <see cref="UserId"/> is null for subkeys. <see cref="CanSign"/> says whether the key may make data
/// signatures per its flags and, for subkeys, its binding; it does not consider time or revocation.
/// </summary>
public sealed record KeyInfo(
    string Fingerprint,
    string KeyId,
    string Algorithm,
    string? UserId,
    DateTimeOffset Created,
    DateTimeOffset? Expires,
    bool Revoked,
    bool CanSign,
    IReadOnlyList<KeyInfo> Subkeys)
{
    /// <summary>True when the key has expired at <paramref name="now"/>.</summary>
    public bool IsExpiredAt(DateTimeOffset now) => Expires is { } expires && expires <= now;
}
