using ImageUpdate.Formats.Verification.Signing;
using ImageUpdate.Foundation.Errors;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.X509;

namespace ImageUpdate.Formats.Verity;

/// <summary>
/// The pair <c>--private-key=</c> and <c>--certificate=</c> name, as systemd-repart takes them: an
/// unencrypted PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC) and the PEM X.509 certificate that
/// goes with it. A file that holds neither, or a key that is not the certificate's, is a
/// <see cref="SigningKeyException"/> naming the file.
/// </summary>
public sealed class VeritySigningKey
{
    private VeritySigningKey(AsymmetricKeyParameter privateKey, X509Certificate certificate)
    {
        PrivateKey = privateKey;
        Certificate = certificate;
    }

    /// <summary>The private key (RSA or EC).</summary>
    public AsymmetricKeyParameter PrivateKey { get; }

    /// <summary>The certificate the signature names and the verifier trusts.</summary>
    public X509Certificate Certificate { get; }

    /// <summary>Loads the pair from PEM text; <paramref name="keySource"/> and <paramref name="certificateSource"/> name the files in errors.</summary>
    public static VeritySigningKey FromPem(string keyPem, string keySource, string certificatePem, string certificateSource)
    {
        var certificate = ReadCertificate(certificatePem, certificateSource);
        var privateKey = ReadObject(keyPem, keySource) switch
        {
            AsymmetricCipherKeyPair pair => pair.Private,
            AsymmetricKeyParameter { IsPrivate: true } key => key,
            _ => throw new SigningKeyException(keySource, $"'{UntrustedText.Escape(keySource)}' holds no unencrypted PEM private key."),
        };

        if (privateKey is not (RsaKeyParameters or ECPrivateKeyParameters))
        {
            throw new SigningKeyException(keySource, $"'{UntrustedText.Escape(keySource)}' holds a {privateKey.GetType().Name} key; verity signatures take RSA or EC keys.");
        }

        if (!Matches(privateKey, certificate.GetPublicKey()))
        {
            throw new SigningKeyException(keySource, $"The key in '{UntrustedText.Escape(keySource)}' is not the key of the certificate in '{UntrustedText.Escape(certificateSource)}'.");
        }

        return new VeritySigningKey(privateKey, certificate);
    }

    /// <summary>Reads one PEM certificate (the host's trusted one, or the signer's).</summary>
    public static X509Certificate ReadCertificate(string pem, string source) =>
        ReadObject(pem, source) as X509Certificate
        ?? throw new SigningKeyException(source, $"'{UntrustedText.Escape(source)}' holds no PEM X.509 certificate.");

    private static object? ReadObject(string pem, string source)
    {
        try
        {
            using var reader = new StringReader(pem);
            return new PemReader(reader).ReadObject();
        }
        catch (Exception error) when (error is IOException or PemException or ArgumentException or InvalidCastException or PasswordException)
        {
            throw new SigningKeyException(source, $"'{UntrustedText.Escape(source)}' is not readable PEM ({UntrustedText.Escape(error.Message)}).", error);
        }
    }

    private static bool Matches(AsymmetricKeyParameter privateKey, AsymmetricKeyParameter publicKey) => (privateKey, publicKey) switch
    {
        (RsaPrivateCrtKeyParameters rsa, RsaKeyParameters pub) => rsa.Modulus.Equals(pub.Modulus) && rsa.PublicExponent.Equals(pub.Exponent),
        (RsaKeyParameters rsa, RsaKeyParameters pub) => rsa.Modulus.Equals(pub.Modulus),
        (ECPrivateKeyParameters ec, ECPublicKeyParameters pub) => ec.Parameters.G.Multiply(ec.D).Normalize().Equals(pub.Q.Normalize()),
        _ => false,
    };
}
