using System.Runtime.InteropServices;

namespace ImageUpdate.Foundation.Hashing;

/// <summary>
/// SHA-512/256 of many buffers at once, eight side by side in AVX-512 registers, through our own C code
/// (sha512_256_many.c beside this file). The published NativeAOT binary links it in; other builds load it
/// as <c>libimageupdate-hash.so</c> from the program's directory. Why C and not Vector512: NativeAOT
/// compiles for a baseline x86-64 unless told otherwise, and there <c>Avx512F.IsSupported</c> is a
/// constant false, not a check at run time (only SSE3-SSE4.2, AES, PCLMUL, POPCNT, LZCNT are checked
/// opportunistically); raising the baseline with IlcInstructionSet would make the binary refuse to start
/// on CPUs without AVX-512. The C code is compiled for AVX-512 in one function only and entered only
/// after the CPU (and the kernel, which must save the ZMM registers) said yes.
/// </summary>
public static partial class MultiBufferSha512t256
{
    /// <summary>Set (to anything) to turn the AVX-512 path off: hashes then go one at a time through OpenSSL.</summary>
    public const string DisableVariable = "IMAGE_UPDATE_NO_AVX512";

    private const string Library = "imageupdate-hash";

    private static readonly bool Available = Probe();

    /// <summary>Whether <see cref="TryCompute"/> hashes (true), or always declines (no AVX-512, no library, or turned off).</summary>
    public static bool IsAvailable => Available && !Disabled;

    /// <summary>Turns the AVX-512 path off in this process (tests of the fallback; <see cref="DisableVariable"/> does it for a run).</summary>
    internal static bool Disabled { get; set; } = Environment.GetEnvironmentVariable(DisableVariable) is not null;

    /// <summary>
    /// The SHA-512/256 of <c>data[offsets[i]..(offsets[i] + lengths[i])]</c> into <c>digests[32 i..]</c> for
    /// every i, or false (nothing written) when this CPU or build cannot; the caller then hashes each itself.
    /// </summary>
    public static unsafe bool TryCompute(ReadOnlySpan<byte> data, ReadOnlySpan<int> offsets, ReadOnlySpan<int> lengths, Span<byte> digests)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(lengths.Length, offsets.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(digests.Length, offsets.Length * 32);
        if (!IsAvailable)
        {
            return false;
        }

        var count = offsets.Length;
        if (count == 0)
        {
            return true;
        }

        Span<nint> pointers = count <= 64 ? stackalloc nint[count] : new nint[count];
        Span<ulong> sizes = count <= 64 ? stackalloc ulong[count] : new ulong[count];
        fixed (byte* start = data)
        fixed (byte* output = digests)
        fixed (nint* bufferPointers = pointers)
        fixed (ulong* bufferSizes = sizes)
        {
            for (var i = 0; i < count; i++)
            {
                // Checked here, not in C: the native side trusts its pointers.
                _ = data.Slice(offsets[i], lengths[i]);
                pointers[i] = (nint)(start + offsets[i]);
                sizes[i] = (ulong)lengths[i];
            }

            return Many((byte**)bufferPointers, bufferSizes, (nuint)count, output) == 0;
        }
    }

    private static bool Probe()
    {
        try
        {
            return Supported() == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport(Library, EntryPoint = "iu_sha512_256_supported")]
    private static partial int Supported();

    [LibraryImport(Library, EntryPoint = "iu_sha512_256_many")]
    private static unsafe partial int Many(byte** buffers, ulong* lengths, nuint count, byte* digests);
}
