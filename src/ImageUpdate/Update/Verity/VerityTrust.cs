using ImageUpdate.Formats.Verification.Signing;
using ImageUpdate.Formats.Verity;
using ImageUpdate.Foundation.Errors;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.X509;

namespace ImageUpdate.Update.Verity;

/// <summary>
/// The certificates this host trusts to sign verity root hashes: the PEM files <c>*.crt</c> in the
/// directories systemd 262 reads for the same purpose (libsystemd-shared's verity.d search path, used
/// when dm-verity signatures are checked in userspace): <c>/etc/verity.d</c>, <c>/run/verity.d</c>,
/// <c>/usr/local/lib/verity.d</c>, <c>/usr/lib/verity.d</c>, under --root when there is one. As with
/// every systemd configuration directory, a file name found in an earlier directory hides the same
/// name in later ones, and an empty file or a link to /dev/null masks it. A file that holds no
/// certificate is skipped with a warning: it can only make fewer signatures acceptable. A link that
/// leads nowhere, and an extra certificate that cannot be read, are refused (one line naming the
/// file): the engine loads the trust before it writes anything, so neither costs a written copy.
/// </summary>
public sealed class VerityTrust
{
    /// <summary>The search path, highest priority first.</summary>
    public static readonly IReadOnlyList<string> Directories = ["/etc/verity.d", "/run/verity.d", "/usr/local/lib/verity.d", "/usr/lib/verity.d"];

    public VerityTrust(IReadOnlyList<X509Certificate> certificates, string origin)
    {
        Certificates = certificates;
        Origin = origin;
    }

    /// <summary>The trusted certificates.</summary>
    public IReadOnlyList<X509Certificate> Certificates { get; }

    /// <summary>Where they were looked for, for messages.</summary>
    public string Origin { get; }

    /// <summary>Reads the certificates under <paramref name="root"/> ("/" for the host), and the <paramref name="extra"/> PEM files given by path.</summary>
    public static VerityTrust Load(string root, ILogger logger, IReadOnlyList<string>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var certificates = new List<X509Certificate>();
        foreach (var file in extra ?? [])
        {
            certificates.Add(VeritySigningKey.ReadCertificate(ReadExtra(file), file));
        }

        foreach (var directory in Directories)
        {
            var path = root.TrimEnd('/') + directory;
            if (!Directory.Exists(path))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(path, "*.crt").Order(StringComparer.Ordinal))
            {
                if (!seen.Add(Path.GetFileName(file)))
                {
                    continue;
                }

                var info = new FileInfo(file);
                if (info.LinkTarget == "/dev/null")
                {
                    continue; // masked
                }

                if (info.LinkTarget is { } link && !LeadsToAFile(info))
                {
                    throw new ConfigurationException($"Verity certificate '{UntrustedText.Escape(file)}' is a symbolic link to '{UntrustedText.Escape(link)}', which is no file: remove it, or mask it with a link to /dev/null, refusing.");
                }

                if (info.Length == 0)
                {
                    continue; // masked
                }

                try
                {
                    certificates.Add(VeritySigningKey.ReadCertificate(File.ReadAllText(file), file));
                }
                catch (Exception e) when (e is SigningKeyException or IOException or UnauthorizedAccessException)
                {
                    logger.LogWarning("Ignoring verity certificate '{File}': {Error}", UntrustedText.Escape(file), e.Message);
                }
            }
        }

        return new VerityTrust(certificates, string.Join(", ", Directories.Select(d => root.TrimEnd('/') + d)));
    }

    /// <summary>A trust that holds no certificate: for versions whose verity groups have no signature partition.</summary>
    public static VerityTrust None { get; } = new([], "");

    private static string ReadExtra(string file)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SigningKeyException(file, $"Verity certificate '{UntrustedText.Escape(file)}' cannot be read: {UntrustedText.Escape(e.Message)}", e);
        }
    }

    /// <summary>Whether a link's chain ends in an existing file (a loop or a missing target does not).</summary>
    private static bool LeadsToAFile(FileInfo link)
    {
        try
        {
            return link.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true };
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Checks <paramref name="signature"/> (read from <paramref name="source"/>) with the trusted
    /// certificates: the one its fingerprint names, or, without a fingerprint, any that signed it.
    /// </summary>
    public void Verify(VeritySignature signature, string source)
    {
        ArgumentNullException.ThrowIfNull(signature);
        if (Certificates.Count == 0)
        {
            throw new VerificationException($"Verity signature in '{UntrustedText.Escape(source)}' cannot be checked: this host trusts no verity certificate (no *.crt in {Origin}).");
        }

        var candidates = signature.CertificateFingerprint.IsEmpty
            ? Certificates
            : Certificates.Where(c => VeritySignature.Fingerprint(c).AsSpan().SequenceEqual(signature.CertificateFingerprint.Span)).ToList();
        if (candidates.Count == 0)
        {
            throw new VerificationException($"Verity signature in '{UntrustedText.Escape(source)}' was made with the certificate {Convert.ToHexStringLower(signature.CertificateFingerprint.Span)}, which this host does not trust (the certificates in {Origin}).");
        }

        VerificationException? last = null;
        foreach (var certificate in candidates)
        {
            try
            {
                signature.Verify(certificate, source);
                return;
            }
            catch (VerificationException e)
            {
                last = e;
            }
        }

        throw last!;
    }
}
