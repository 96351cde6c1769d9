using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImageUpdate.Foundation.Errors;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cms;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Cms;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using PkcsObjectIdentifiers = Org.BouncyCastle.Asn1.Pkcs.PkcsObjectIdentifiers;

namespace ImageUpdate.Formats.Verity;

/// <summary>
/// The content of a <c>*-verity-sig</c> partition as systemd-repart 262 writes it
/// (partition_format_verity_sig): one compact JSON object
/// <c>{"rootHash":HEX,"certificateFingerprint":HEX,"signature":BASE64}</c> NUL-padded to the partition
/// size (repart's <c>--split</c> file has the padding trimmed). The signature is a DER PKCS#7
/// signedData, detached, over the root hash as lowercase hex text (no newline), with no signed
/// attributes and the signer's certificate included (OpenSSL's PKCS7_sign with
/// PKCS7_DETACHED|PKCS7_NOATTR|PKCS7_BINARY); the fingerprint is the SHA-256 of the certificate's DER.
/// This is what the kernel checks against its keyring when dm-verity opens with a root hash signature.
/// </summary>
public sealed record VeritySignature
{
    /// <summary>A signature partition or file larger than this is refused unread.</summary>
    public const int MaximumSize = 1024 * 1024;

    public VeritySignature(ReadOnlyMemory<byte> rootHash, ReadOnlyMemory<byte> certificateFingerprint, ReadOnlyMemory<byte> signature)
    {
        RootHash = rootHash.ToArray();
        CertificateFingerprint = certificateFingerprint.ToArray();
        Signature = signature.ToArray();
    }

    /// <summary>The root hash the signature is over.</summary>
    public ReadOnlyMemory<byte> RootHash { get; }

    /// <summary>SHA-256 of the signing certificate's DER (empty when the JSON has none).</summary>
    public ReadOnlyMemory<byte> CertificateFingerprint { get; }

    /// <summary>The DER PKCS#7 detached signature.</summary>
    public ReadOnlyMemory<byte> Signature { get; }

    /// <summary>The root hash as lowercase hex: the signed text.</summary>
    public string RootHashHex => Convert.ToHexStringLower(RootHash.Span);

    /// <summary>
    /// Signs <paramref name="rootHash"/> as repart does, with an RSA or EC key and its certificate. The
    /// signedData is assembled here rather than by BouncyCastle's CMS generator so its DER is OpenSSL's
    /// PKCS7_sign output to the byte: digest algorithm sha256 with NULL parameters, signature algorithm
    /// rsaEncryption (NULL parameters) or ecdsa-with-SHA256, issuer and serial number as signer id.
    /// </summary>
    public static VeritySignature Create(ReadOnlySpan<byte> rootHash, X509Certificate certificate, AsymmetricKeyParameter privateKey)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(privateKey);
        var (signerName, signatureAlgorithm) = privateKey switch
        {
            RsaKeyParameters => ("SHA256WITHRSA", new AlgorithmIdentifier(PkcsObjectIdentifiers.RsaEncryption, DerNull.Instance)),
            ECPrivateKeyParameters => ("SHA256WITHECDSA", new AlgorithmIdentifier(X9ObjectIdentifiers.ECDsaWithSha256)),
            _ => throw new ArgumentException($"Verity signatures take an RSA or EC key, not {privateKey.GetType().Name}.", nameof(privateKey)),
        };

        // PKCS7_NOATTR: no signed attributes, so the signature is over the content itself.
        var content = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(rootHash));
        var signer = SignerUtilities.GetSigner(signerName);
        signer.Init(true, privateKey);
        signer.BlockUpdate(content, 0, content.Length);
        var signatureValue = signer.GenerateSignature();

        var digestAlgorithm = new AlgorithmIdentifier(NistObjectIdentifiers.IdSha256, DerNull.Instance);
        var signerInfo = new SignerInfo(
            new SignerIdentifier(new IssuerAndSerialNumber(certificate.IssuerDN, certificate.SerialNumber)),
            digestAlgorithm,
            (Asn1Set?)null,
            signatureAlgorithm,
            new DerOctetString(signatureValue),
            (Asn1Set?)null);
        var signedData = new SignedData(
            new DerSet(digestAlgorithm),
            new ContentInfo(CmsObjectIdentifiers.Data, null), // PKCS7_DETACHED
            new DerSet(certificate.CertificateStructure),
            null,
            new DerSet(signerInfo));
        var encoded = new ContentInfo(CmsObjectIdentifiers.SignedData, signedData).GetEncoded(Asn1Encodable.Der);
        return new VeritySignature(rootHash.ToArray(), Fingerprint(certificate), encoded);
    }

    /// <summary>SHA-256 of the certificate's DER encoding (repart's x509_fingerprint).</summary>
    public static byte[] Fingerprint(X509Certificate certificate) => SHA256.HashData(certificate.GetEncoded());

    /// <summary>
    /// The JSON object exactly as repart formats it: compact, keys in this order. Hex and base64 need
    /// no escaping in a JSON string, and sd-json escapes neither '+' nor '/', so the text is written
    /// as it is (a JSON encoder would turn '+' into \u002B and break byte equality).
    /// </summary>
    public string ToJson()
    {
        var text = new StringBuilder();
        text.Append("{\"rootHash\":\"").Append(RootHashHex).Append('"');
        if (!CertificateFingerprint.IsEmpty)
        {
            text.Append(",\"certificateFingerprint\":\"").Append(Convert.ToHexStringLower(CertificateFingerprint.Span)).Append('"');
        }

        text.Append(",\"signature\":\"").Append(Convert.ToBase64String(Signature.Span)).Append("\"}");
        return text.ToString();
    }

    /// <summary>The partition content: the JSON, then NULs up to <paramref name="size"/> (at least one, as repart requires).</summary>
    public byte[] ToPartition(int size = RepartVerity.SignaturePartitionSize)
    {
        var json = Encoding.UTF8.GetBytes(ToJson());
        if (json.Length + 1 > size)
        {
            throw new ArgumentException($"The verity signature JSON takes {json.Length} bytes and a NUL, more than the {size}-byte partition.", nameof(size));
        }

        var partition = new byte[size];
        json.CopyTo(partition, 0);
        return partition;
    }

    /// <summary>Parses a signature partition (NUL-padded) or split file; <paramref name="source"/> names it in errors.</summary>
    public static VeritySignature Read(ReadOnlySpan<byte> content, string source)
    {
        if (content.Length > MaximumSize)
        {
            throw new VerityException(source, $"the signature partition holds {content.Length} bytes, more than the {MaximumSize} a signature may take");
        }

        var end = content.IndexOf((byte)0);
        var json = end < 0 ? content : content[..end];
        if (end >= 0 && content[end..].ContainsAnyExcept((byte)0))
        {
            throw new VerityException(source, $"bytes other than NUL follow the signature JSON at offset {end}");
        }

        if (json.IsEmpty)
        {
            throw new VerityException(source, "the signature partition is empty");
        }

        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new VerityException(source, $"the signature JSON is a {root.ValueKind.ToString().ToLowerInvariant()}, not an object");
            }

            var rootHash = Hex(root, "rootHash", source, required: true);
            if (rootHash.Length != VerityTreeLayout.DigestSize)
            {
                throw new VerityException(source, $"rootHash has {rootHash.Length} bytes, not the {VerityTreeLayout.DigestSize} of a sha256 root hash");
            }

            var fingerprint = Hex(root, "certificateFingerprint", source, required: false);
            if (fingerprint.Length is not 0 and not 32)
            {
                throw new VerityException(source, $"certificateFingerprint has {fingerprint.Length} bytes, not the 32 of a SHA-256 fingerprint");
            }

            var signatureText = Text(root, "signature", source, required: true)!;
            byte[] signature;
            try
            {
                signature = Convert.FromBase64String(signatureText);
            }
            catch (FormatException)
            {
                throw new VerityException(source, "signature is not base64");
            }

            if (signature.Length == 0)
            {
                throw new VerityException(source, "signature is empty");
            }

            return new VeritySignature(rootHash, fingerprint, signature);
        }
        catch (JsonException error)
        {
            throw new VerityException(source, $"the signature is not valid JSON ({UntrustedText.Escape(error.Message)})");
        }
    }

    /// <summary>
    /// Checks the PKCS#7 signature over <see cref="RootHashHex"/> with <paramref name="trusted"/> (the
    /// host's certificate): a signer must be that certificate and its signature must verify. A
    /// signature that does not verify is a <see cref="VerificationException"/>; one that cannot be
    /// parsed a <see cref="VerityException"/>.
    /// </summary>
    public void Verify(X509Certificate trusted, string source)
    {
        ArgumentNullException.ThrowIfNull(trusted);
        if (!CertificateFingerprint.IsEmpty && !CertificateFingerprint.Span.SequenceEqual(Fingerprint(trusted)))
        {
            throw new VerificationException($"Verity signature in '{UntrustedText.Escape(source)}' was made with the certificate {Convert.ToHexStringLower(CertificateFingerprint.Span)}, not the trusted {Convert.ToHexStringLower(Fingerprint(trusted))}.");
        }

        CmsSignedData signed;
        try
        {
            signed = new CmsSignedData(new CmsProcessableByteArray(Encoding.ASCII.GetBytes(RootHashHex)), Signature.ToArray());
        }
        catch (Exception error) when (error is CmsException or IOException or ArgumentException or InvalidCastException)
        {
            throw new VerityException(source, $"the signature is not a PKCS#7 signedData ({UntrustedText.Escape(error.Message)})");
        }

        foreach (var signer in signed.GetSignerInfos().GetSigners())
        {
            if (!signer.SignerID.Match(trusted))
            {
                continue;
            }

            bool valid;
            try
            {
                valid = signer.Verify(trusted);
            }
            catch (Exception error) when (error is CmsException or SecurityUtilityException or InvalidOperationException or ArgumentException)
            {
                throw new VerityException(source, $"the PKCS#7 signer cannot be checked ({UntrustedText.Escape(error.Message)})");
            }

            if (valid)
            {
                return;
            }

            throw new VerificationException($"Verity signature in '{UntrustedText.Escape(source)}' does not verify: the signature over root hash {RootHashHex} is wrong.");
        }

        throw new VerificationException($"Verity signature in '{UntrustedText.Escape(source)}' has no signer with the trusted certificate {Convert.ToHexStringLower(Fingerprint(trusted))}.");
    }

    private static byte[] Hex(JsonElement root, string name, string source, bool required)
    {
        var text = Text(root, name, source, required);
        if (text is null)
        {
            return [];
        }

        try
        {
            return text.Length > 0 && text.Length % 2 == 0 ? Convert.FromHexString(text) : throw new FormatException();
        }
        catch (FormatException)
        {
            throw new VerityException(source, $"{name} '{UntrustedText.Escape(text.Length > 80 ? text[..80] + "..." : text)}' is not hex");
        }
    }

    private static string? Text(JsonElement root, string name, string source, bool required)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return required ? throw new VerityException(source, $"the signature JSON has no {name}") : null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new VerityException(source, $"{name} is a {value.ValueKind.ToString().ToLowerInvariant()}, not a string");
    }

    public bool Equals(VeritySignature? other) =>
        other is not null && RootHash.Span.SequenceEqual(other.RootHash.Span)
        && CertificateFingerprint.Span.SequenceEqual(other.CertificateFingerprint.Span) && Signature.Span.SequenceEqual(other.Signature.Span);

    public override int GetHashCode() => HashCode.Combine(RootHash.Length, Signature.Length);
}
