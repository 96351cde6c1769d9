using ImageUpdate.Formats.Verification.Signing;
using ImageUpdate.Formats.Verity;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.FileSystem;
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
            // Links (of the directory and of each file) resolve inside the root, as they would on the
            // booted image: an absolute link must not reach the host's files.
            var path = Inside(root, directory);
            if (path is null || !Directory.Exists(path))
            {
                continue;
            }

            foreach (var found in Directory.EnumerateFiles(path, "*.crt").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(found);
                if (!seen.Add(name))
                {
                    continue;
                }

                var file = root.TrimEnd('/') + directory + "/" + name;
                var info = new FileInfo(found);
                var content = found;
                if (info.LinkTarget is { } link)
                {
                    if (link == "/dev/null")
                    {
                        continue; // masked
                    }

                    content = Inside(root, directory + "/" + name);
                    if (content is null || !IsFile(content))
                    {
                        throw new ConfigurationException($"Verity certificate '{UntrustedText.Escape(file)}' is a symbolic link to '{UntrustedText.Escape(link)}', which is no file: remove it, or mask it with a link to /dev/null, refusing.");
                    }
                }

                if (new FileInfo(content).Length == 0)
                {
                    continue; // masked
                }

                try
                {
                    certificates.Add(VeritySigningKey.ReadCertificate(File.ReadAllText(content), file));
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

    /// <summary>
    /// <paramref name="path"/> with every link on the way followed inside <paramref name="root"/>, as a
    /// host path; null when that fails (a loop, a link too many, no access).
    /// </summary>
    private static string? Inside(string root, string path)
    {
        try
        {
            return RootedPath.Resolve(root, path);
        }
        catch (Exception e) when (e is UpdateException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Whether a resolved path is an existing regular file (a missing target, a directory or no access are not).</summary>
    private static bool IsFile(string path)
    {
        try
        {
            return FileMetadata.TryGetStatus(path) is { Kind: FileKind.Regular };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
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
