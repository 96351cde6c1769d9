using System.Text;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Systemd.BootCounting;

/// <summary>
/// The Boot Loader Interface variables systemd-boot leaves in efivarfs. efivarfs names each variable
/// NAME-VENDORGUID; its content is the 4-byte attribute word followed by the value, which for these
/// variables is UTF-16LE text ending in a NUL (systemd.io/BOOT_LOADER_INTERFACE).
/// </summary>
public sealed class EfiVariables
{
    /// <summary>Where the kernel mounts efivarfs.</summary>
    public const string DefaultDirectory = "/sys/firmware/efi/efivars";

    /// <summary>The vendor GUID of every Boot Loader Interface variable.</summary>
    public const string LoaderVendorGuid = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f";

    /// <summary>The attribute word efivarfs puts before the value.</summary>
    private const int AttributeLength = sizeof(uint);

    /// <summary>A variable larger than this is not a boot loader path: refuse it rather than read it whole.</summary>
    private const int MaxValueLength = 64 * 1024;

    public EfiVariables(string directory = DefaultDirectory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    /// <summary>False when efivarfs is not there: not booted through UEFI, or not mounted.</summary>
    public bool Available => System.IO.Directory.Exists(Directory);

    /// <summary>LoaderBootCountPath: the path of the booted entry after the boot loader counted this try, e.g. \EFI\Linux\os_2+2-1.efi.</summary>
    public string? LoaderBootCountPath => ReadLoaderString("LoaderBootCountPath");

    /// <summary>LoaderEntrySelected: the identifier of the entry the boot loader chose.</summary>
    public string? LoaderEntrySelected => ReadLoaderString("LoaderEntrySelected");

    /// <summary>The file that holds the loader variable <paramref name="name"/>.</summary>
    public string PathOf(string name) => Path.Combine(Directory, $"{name}-{LoaderVendorGuid}");

    /// <summary>The text of a loader variable, or null when it is not set.</summary>
    public string? ReadLoaderString(string name)
    {
        var path = PathOf(name);
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read);
            if (stream.Length > AttributeLength + MaxValueLength)
            {
                throw new BootCountingException($"{UntrustedText.Escape(path)}: the value is {stream.Length} bytes long, more than a boot loader string can be.");
            }

            // efivarfs reports a size but, like other pseudo file systems, is read until EOF.
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            bytes = memory.ToArray();
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        return Decode(path, bytes);
    }

    /// <summary>Attribute word, then UTF-16LE up to the first NUL (or the end).</summary>
    public static string Decode(string path, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < AttributeLength)
        {
            throw new BootCountingException($"{UntrustedText.Escape(path)}: {bytes.Length} bytes is too short for an EFI variable (the attribute word alone is {AttributeLength}).");
        }

        var value = bytes[AttributeLength..];
        if (value.Length % 2 != 0)
        {
            throw new BootCountingException($"{UntrustedText.Escape(path)}: a UTF-16 string cannot be {value.Length} bytes long.");
        }

        var text = Encoding.Unicode.GetString(value);
        var nul = text.IndexOf('\0', StringComparison.Ordinal);
        if (nul >= 0)
        {
            text = text[..nul];
        }

        if (text.Length == 0)
        {
            throw new BootCountingException($"{UntrustedText.Escape(path)}: the variable is empty.");
        }

        return text;
    }
}
