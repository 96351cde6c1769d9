using System.Buffers.Binary;
using ImageUpdate.Foundation.Errors;
using Org.BouncyCastle.Bcpg;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// The trusted public keys, read from a binary or ASCII-armored keyring (<c>gpg --export</c> output,
/// possibly several exports concatenated).
/// </summary>
/// <remarks>
/// The packets are split and grouped per primary key here (ours), each packet then read by
/// BouncyCastle: its <c>PgpPublicKeyRingBundle</c> throws on the first key it cannot read, and the
/// policy wants one key this code cannot use (an unsupported algorithm, a version 5 key, a damaged
/// packet) skipped with a warning while the others stay usable.
/// </remarks>
public sealed class Keyring
{
    /// <summary>Keyrings are a few kilobytes; anything this large is not one.</summary>
    public const int MaximumSize = 16 * 1024 * 1024;

    private readonly List<KeyringKey> _keys;
    private readonly Dictionary<ulong, string> _unusable;

    private Keyring(string origin, List<KeyringKey> keys, Dictionary<ulong, string> unusable, List<string> warnings)
    {
        Origin = origin;
        _keys = keys;
        _unusable = unusable;
        Warnings = warnings.AsReadOnly();
        Keys = keys.Select(ToInfo).ToList().AsReadOnly();
    }

    /// <summary>The file or URL the keyring came from, used in messages.</summary>
    public string Origin { get; }

    /// <summary>The usable keys in keyring order.</summary>
    public IReadOnlyList<KeyInfo> Keys { get; }

    /// <summary>Keys, subkeys and signatures that were skipped, and why; for the caller to log.</summary>
    public IReadOnlyList<string> Warnings { get; }

    internal IReadOnlyList<KeyringKey> Entries => _keys;

    /// <exception cref="VerificationException">The file cannot be read or is not an OpenPGP keyring.</exception>
    public static Keyring Load(string path)
    {
        byte[] bytes;
        try
        {
            using var stream = File.OpenRead(path);
            if (stream.Length > MaximumSize)
            {
                throw new VerificationException($"Keyring {path} is {stream.Length} bytes, more than the {MaximumSize} a keyring can plausibly need.");
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VerificationException($"Cannot read keyring {path}: {e.Message}", e);
        }

        return Parse(bytes, path);
    }

    /// <summary>
    /// Several keyrings trusted together (systemd 262's overlay of the local and the vendor keyring):
    /// every usable key of each, in order; the origin names them all.
    /// </summary>
    public static Keyring Overlay(IReadOnlyList<Keyring> keyrings)
    {
        ArgumentNullException.ThrowIfNull(keyrings);
        if (keyrings.Count == 1)
        {
            return keyrings[0];
        }

        var unusable = new Dictionary<ulong, string>();
        foreach (var keyring in keyrings)
        {
            foreach (var (id, reason) in keyring._unusable)
            {
                unusable.TryAdd(id, reason);
            }
        }

        return new Keyring(
            string.Join(", ", keyrings.Select(k => k.Origin)),
            [.. keyrings.SelectMany(k => k._keys)],
            unusable,
            [.. keyrings.SelectMany(k => k.Warnings)]);
    }

    /// <summary>
    /// This keyring with the keys of <paramref name="block"/> (a signature's key block) whose primary
    /// key it already trusts, after its own: what systemd 262's gpg does with --auto-key-import and
    /// --import-options=merge-only (a known key gains the subkeys the block binds to it; an unknown
    /// key is not imported). The block's keys were read as any keyring's are, so a subkey counts only
    /// with a valid binding (and back-signature) made by that trusted primary key. A key the keyring
    /// holds revoked gains nothing, and the keyring's own entries come first, so its revocations of
    /// a subkey still win.
    /// </summary>
    internal Keyring WithKeyBlock(Keyring block)
    {
        var extra = block._keys
            .Where(b => _keys.Any(t => !t.Revoked && t.FingerprintHex == b.FingerprintHex))
            .ToList();
        return extra.Count == 0 ? this : new Keyring(Origin, [.. _keys, .. extra], _unusable, [.. Warnings]);
    }

    /// <exception cref="VerificationException">The bytes are not an OpenPGP keyring at all.</exception>
    public static Keyring Parse(ReadOnlySpan<byte> bytes, string origin)
    {
        try
        {
            return ParseUnchecked(bytes, origin);
        }
        catch (VerificationException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The safety net the fuzz tests hold us to: hostile bytes end in our error type whatever
            // a library throws (the fuzz tests also check that this net stays empty).
            throw new VerificationException($"Keyring {origin} could not be read: {PgpPacketReader.DescribeUnexpected(e)}", e);
        }
    }

    private static Keyring ParseUnchecked(ReadOnlySpan<byte> bytes, string origin)
    {
        var what = $"keyring {origin}";
        if (bytes.IsEmpty)
        {
            throw new VerificationException($"The {what} is empty.");
        }

        if (bytes.Length > MaximumSize)
        {
            throw new VerificationException($"The {what} is {bytes.Length} bytes, more than the {MaximumSize} a keyring can plausibly need.");
        }

        byte[] binary = (bytes[0] & 0x80) != 0 ? bytes.ToArray() : PgpArmor.Decode(bytes, "PUBLIC KEY BLOCK", what);
        var packets = PgpPacket.Split(binary, what, out var framingError);
        var warnings = new List<string>();
        if (framingError is not null)
        {
            if (packets.Count == 0)
            {
                throw framingError;
            }

            warnings.Add($"Ignoring the rest of {what}: {framingError.Message}");
        }

        var keys = new List<KeyringKey>();
        var unusable = new Dictionary<ulong, string>();
        var start = -1;
        for (var i = 0; i <= packets.Count; i++)
        {
            var tag = i < packets.Count ? packets[i].Tag : PacketTag.PublicKey;
            if (tag is not (PacketTag.PublicKey or PacketTag.SecretKey))
            {
                if (start < 0 && tag is not (PacketTag.Marker or PacketTag.Trust))
                {
                    warnings.Add($"Ignoring a packet of type {(int)packets[i].Tag} before the first key in {what}.");
                }

                continue;
            }

            if (start >= 0)
            {
                AddKey(packets.GetRange(start, i - start), origin, keys, unusable, warnings);
            }

            start = i;
        }

        return new Keyring(origin, keys, unusable, warnings);
    }

    /// <summary>Why the keyring holds the key with <paramref name="keyId"/> but cannot use it, or null.</summary>
    internal string? UnusableReason(ulong keyId) => _unusable.GetValueOrDefault(keyId);

    private static void AddKey(List<PgpPacket> group, string origin, List<KeyringKey> keys, Dictionary<ulong, string> unusable, List<string> warnings)
    {
        if (group[0].Tag == PacketTag.SecretKey)
        {
            warnings.Add($"Ignoring a secret key in keyring {origin}: a keyring of trusted keys should hold public keys only.");
            return;
        }

        try
        {
            var key = KeyringKey.Build(group, origin, warnings);
            if (keys.Any(k => k.Primary.KeyId == key.Primary.KeyId))
            {
                warnings.Add($"Ignoring a second copy of key {key.FingerprintHex} in keyring {origin}.");
                return;
            }

            keys.Add(key);
        }
        catch (VerificationException e)
        {
            warnings.Add($"Ignoring a key: {e.Message}");
            RememberUnusable(group, e.Message, unusable);
        }
    }

    // Key IDs of a skipped key and its subkeys, so that a signature by it gets a precise message.
    private static void RememberUnusable(List<PgpPacket> group, string reason, Dictionary<ulong, string> unusable)
    {
        foreach (var packet in group)
        {
            if (packet.Tag is not (PacketTag.PublicKey or PacketTag.PublicSubkey))
            {
                continue;
            }

            // An algorithm BouncyCastle does not know: the key ID from the packet's bytes (the low
            // 64 bits of the fingerprint), since BouncyCastle throws before it has one.
            if (!PgpAlgorithms.IsReadByBouncyCastle(PgpPacketReader.KeyAlgorithm(packet)))
            {
                if (PgpPacketReader.Version4Fingerprint(packet) is { } fingerprint)
                {
                    unusable.TryAdd(BinaryPrimitives.ReadUInt64BigEndian(fingerprint.AsSpan(12)), reason);
                }

                continue;
            }

            try
            {
                unusable.TryAdd((ulong)PgpPacketReader.ReadPublicKey(packet, "key packet").KeyId, reason);
            }
            catch (VerificationException)
            {
                // A key whose packet does not even parse has no key ID to remember.
            }
        }
    }

    private static KeyInfo ToInfo(KeyringKey key) => new(
        key.FingerprintHex,
        PgpAlgorithms.KeyIdHex(key.Primary.KeyId),
        PgpAlgorithms.Describe(key.Primary),
        key.UserId,
        key.Created,
        key.Expires,
        key.Revoked,
        key.MaySign,
        key.Subkeys.Where(s => s.Bound).Select(s => new KeyInfo(
            s.FingerprintHex,
            PgpAlgorithms.KeyIdHex(s.Key.KeyId),
            PgpAlgorithms.Describe(s.Key),
            null,
            s.Created,
            s.Expires,
            s.Revoked,
            s.MaySign,
            [])).ToList().AsReadOnly());
}
