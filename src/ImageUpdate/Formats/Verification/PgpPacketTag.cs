namespace ImageUpdate.Formats.Verification;

/// <summary>OpenPGP packet tags this code meets (RFC 4880 §4.3, RFC 9580 §5).</summary>
internal enum PgpPacketTag
{
    Signature = 2,
    SecretKey = 5,
    PublicKey = 6,
    SecretSubkey = 7,
    Marker = 10,
    Trust = 12,
    UserId = 13,
    PublicSubkey = 14,
    UserAttribute = 17,
}
