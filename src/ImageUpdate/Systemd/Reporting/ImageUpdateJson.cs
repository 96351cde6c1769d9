using System.Globalization;
using System.Text.Json;
using ImageUpdate.Formats.Verification;
using ImageUpdate.Systemd.BootCounting;
using ImageUpdate.Update.Publishing;

namespace ImageUpdate.Systemd.Reporting;

/// <summary>The JSON documents of image-update's own verbs (systemd-sysupdate has no such verbs): `bless`, `publish`, `keys list`.</summary>
public static class ImageUpdateJson
{
    /// <summary>`bless` (every action) and `bless status`: the booted entry and its counter.</summary>
    public static void WriteBootStatus(Utf8JsonWriter w, BootEntry entry)
    {
        var current = entry.Current;
        w.WriteStartObject();
        w.WriteString("entry", entry.CurrentPath);
        w.WriteString("booted", entry.Booted.FileName);
        WriteCounter(w, "triesLeft", current.TriesLeft);
        WriteCounter(w, "triesDone", current.TriesDone);
        w.WriteString("state", BootAssessment.StateWord(entry.State));
        w.WriteEndObject();
    }

    /// <summary>`publish`.</summary>
    public static void WritePublishResult(Utf8JsonWriter w, PublishResult result)
    {
        w.WriteStartObject();
        w.WriteString("version", result.Version);
        w.WriteStartArray("files");
        foreach (var file in result.Files)
        {
            w.WriteStartObject();
            w.WriteString("transfer", file.TransferId);
            w.WriteString("name", file.FileName);
            w.WriteString("sha256", file.Sha256);
            w.WriteString("compression", file.Compression.ToString().ToLowerInvariant());
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStrings("versions", result.Versions);
        w.WriteStrings("pruned", result.PrunedVersions);
        w.WriteStrings("deleted", result.DeletedFiles);
        w.WriteString("signingKey", result.SigningKeyFingerprint);
        w.WriteString("keyring", result.KeyringPath);
        w.WriteString("signedAt", result.SignedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }

    /// <summary>`keys list`: the keyring and each trusted key.</summary>
    public static void WriteKeys(Utf8JsonWriter w, string origin, IReadOnlyList<KeyInfo> keys)
    {
        w.WriteStartObject();
        w.WriteString("keyring", origin);
        w.WriteStartArray("keys");
        foreach (var key in keys)
        {
            w.WriteStartObject();
            w.WriteString("fingerprint", key.Fingerprint);
            w.WriteString("algorithm", key.Algorithm);
            if (key.UserId is null)
            {
                w.WriteNull("userId");
            }
            else
            {
                w.WriteString("userId", key.UserId);
            }

            w.WriteString("created", key.Created.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            if (key.Expires is { } expires)
            {
                w.WriteString("expires", expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            }
            else
            {
                w.WriteNull("expires");
            }

            w.WriteBoolean("revoked", key.Revoked);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteCounter(Utf8JsonWriter w, string name, ulong? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
