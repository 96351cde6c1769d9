using System.Runtime.InteropServices;

namespace ImageUpdate.Foundation.Native;

/// <summary>
/// The system OpenSSL's one-shot digest, for SHA-512/256 (casync's chunk IDs). .NET 10 has SHA-512 but
/// not its /256 variant, and the managed one at hand (BouncyCastle's Sha512tDigest) runs several times
/// slower than OpenSSL's assembly; .NET itself already loads this library on Linux for its own hashes.
/// </summary>
internal static partial class LibCrypto
{
    internal const string Library = "libcrypto.so.3";

    /// <summary>EVP_sha512_256(): a static descriptor owned by OpenSSL, never freed.</summary>
    [LibraryImport(Library, EntryPoint = "EVP_sha512_256")]
    internal static partial nint Sha512t256();

    /// <summary>EVP_Digest: 1 on success.</summary>
    [LibraryImport(Library, EntryPoint = "EVP_Digest")]
    internal static unsafe partial int Digest(byte* data, nuint count, byte* digest, uint* size, nint type, nint engine);
}
