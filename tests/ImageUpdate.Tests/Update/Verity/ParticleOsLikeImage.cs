using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Update.Verity;

/// <summary>
/// A host laid out as ParticleOS and GNOME OS lay theirs out, under one work directory: a GPT disk with
/// two slots each of usr-x86-64, usr-x86-64-verity and usr-x86-64-verity-sig, an ESP directory, and the
/// four transfer definitions of ParticleOS's mkosi.sysupdate (10-usr-verity-sig, 11-usr-verity, 12-usr,
/// 20-uki, read at systemd/particleos): the sources carry the partition UUID as @u in their names, the
/// way systemd-repart's --split names them (SplitName=%t.%U); the targets are labelled NAME_@v,
/// NAME_@v_verity and NAME_@v_verity_sig with PartitionFlags=0 and ReadOnly=1, and the UKI goes to
/// /EFI/Linux with boot counting. Written by hand in that shape, with the image name and architecture
/// spelled out instead of %M and %a, so systemd-sysupdate 262 in its chroot reads the same.
/// </summary>
internal sealed class ParticleOsLikeImage : IDisposable
{
    public const string UsrType = "8484680c-9521-48c6-9c11-b0720656f69e";
    public const string UsrVerityType = "77ff5f63-e7b6-4633-acf4-1565b864c0e6";
    public const string UsrVeritySigType = "e7bb33fb-06cf-4e81-8273-e543b413e2e2";

    private readonly TempDirectory _dir = new("image-update-verity-");

    /// <param name="rooted">Whether the definitions name paths inside the work directory as --root=work sees them, or absolute ones.</param>
    public ParticleOsLikeImage(bool rooted)
    {
        GptTools.Require("sfdisk");
        foreach (var d in new[] { "etc/sysupdate.d", "source", "efi/EFI/Linux", "etc/verity.d" })
        {
            Directory.CreateDirectory(_dir[d]);
        }

        GptTools.NewImage(_dir.Path, "disk.raw", 8L << 20);
        GptTools.Sfdisk(Disk, $"""
            label: gpt
            unit: sectors
            sector-size: 512

            size=32, type={UsrVeritySigType}, name=_empty
            size=32, type={UsrVeritySigType}, name=_empty
            size=128, type={UsrVerityType}, name=_empty
            size=128, type={UsrVerityType}, name=_empty
            size=2048, type={UsrType}, name=_empty
            size=2048, type={UsrType}, name=_empty

            """);
        var at = rooted ? "" : Work;
        Write("10-usr-verity-sig.transfer", $"""
            [Source]
            Type=regular-file
            Path={at}/source
            MatchPattern=ParticleOS_@v_x86-64.usr-x86-64-verity-sig.@u.raw

            [Target]
            Type=partition
            Path={at}/disk.raw
            MatchPattern=ParticleOS_@v_verity_sig
            MatchPartitionType=usr-verity-sig
            PartitionFlags=0
            ReadOnly=1
            """);
        Write("11-usr-verity.transfer", $"""
            [Source]
            Type=regular-file
            Path={at}/source
            MatchPattern=ParticleOS_@v_x86-64.usr-x86-64-verity.@u.raw

            [Target]
            Type=partition
            Path={at}/disk.raw
            MatchPattern=ParticleOS_@v_verity
            MatchPartitionType=usr-verity
            PartitionFlags=0
            ReadOnly=1
            """);
        Write("12-usr.transfer", $"""
            [Source]
            Type=regular-file
            Path={at}/source
            MatchPattern=ParticleOS_@v_x86-64.usr-x86-64.@u.raw

            [Target]
            Type=partition
            Path={at}/disk.raw
            MatchPattern=ParticleOS_@v
            MatchPartitionType=usr
            PartitionFlags=0
            ReadOnly=1
            """);
        Write("20-uki.transfer", $"""
            [Source]
            Type=regular-file
            Path={at}/source
            MatchPattern=ParticleOS_@v_x86-64.efi

            [Target]
            Type=regular-file
            Path=/EFI/Linux
            PathRelativeTo=boot
            MatchPattern=ParticleOS_@v+@l-@d.efi \
                         ParticleOS_@v+@l.efi \
                         ParticleOS_@v.efi
            Mode=0600
            TriesLeft=3
            TriesDone=0
            InstancesMax=2
            """);
    }

    public string Work => _dir.Path;

    /// <summary>The image's own definitions (what `--root` reads; --definitions cannot be combined with it).</summary>
    public string Definitions => _dir["etc/sysupdate.d"];

    public string Disk => _dir["disk.raw"];

    public string Esp => _dir["efi"];

    public string this[string relative] => _dir[relative];

    /// <summary>The four source files of <paramref name="version"/>, named with the UUIDs the root hash derives.</summary>
    public void Publish(string version, VerityPayloads payloads, Guid? dataUuid = null, Guid? signatureUuid = null)
    {
        var stem = $"source/ParticleOS_{version}_x86-64";
        File.WriteAllBytes(_dir[$"{stem}.usr-x86-64.{dataUuid ?? payloads.DataUuid}.raw"], payloads.Data);
        File.WriteAllBytes(_dir[$"{stem}.usr-x86-64-verity.{payloads.HashUuid}.raw"], payloads.Hash);
        File.WriteAllBytes(_dir[$"{stem}.usr-x86-64-verity-sig.{signatureUuid ?? Guid.NewGuid()}.raw"], payloads.Signature);
        File.WriteAllBytes(_dir[$"{stem}.efi"], payloads.Uki);
    }

    /// <summary>
    /// Drops @u from the usr transfer's source pattern and renames <paramref name="version"/>'s data
    /// file to match: nothing then sets the data partition's UUID (no PartitionUUID= either).
    /// </summary>
    public void WithoutDataUuid(string version, VerityPayloads payloads)
    {
        var definition = Path.Combine(Definitions, "12-usr.transfer");
        File.WriteAllText(definition, File.ReadAllText(definition).Replace("usr-x86-64.@u.raw", "usr-x86-64.raw", StringComparison.Ordinal));
        var stem = $"source/ParticleOS_{version}_x86-64";
        File.Move(_dir[$"{stem}.usr-x86-64.{payloads.DataUuid}.raw"], _dir[$"{stem}.usr-x86-64.raw"]);
    }

    /// <summary>Makes <paramref name="certificate"/> one the host trusts for verity signatures.</summary>
    public void Trust(string certificate) => File.Copy(certificate, _dir["etc/verity.d/image.crt"], overwrite: true);

    public void Dispose() => _dir.Dispose();

    private void Write(string name, string text) => File.WriteAllText(Path.Combine(Definitions, name), text + "\n");
}
