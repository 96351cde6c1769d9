using Org.BouncyCastle.Bcpg.OpenPgp;

namespace ImageUpdate.Formats.Verification;

/// <summary>A subkey of a <see cref="KeyringKey"/> with what its newest valid binding signature says.</summary>
internal sealed class KeyringSubkey(PgpPublicKey key)
{
    public PgpPublicKey Key { get; } = key;

    public string FingerprintHex => PgpAlgorithms.FingerprintHex(Key);

    public DateTimeOffset Created => PgpAlgorithms.Created(Key);

    /// <summary>True once a binding signature (0x18) by the primary key verified.</summary>
    public bool Bound { get; set; }

    public uint BindingCreated { get; set; }

    public byte? KeyFlags { get; set; }

    public uint ExpirationSeconds { get; set; }

    /// <summary>True when the binding carries a valid primary key binding (0x19) made by this subkey.</summary>
    public bool HasBackSignature { get; set; }

    public bool Revoked { get; set; }

    public DateTimeOffset? Expires => ExpirationSeconds == 0 ? null : Created.AddSeconds(ExpirationSeconds);

    public bool MaySign => Bound && HasBackSignature && (KeyFlags is null || (KeyFlags & PgpSignatureFacts.KeyFlagSign) != 0);
}
