using System.Runtime.InteropServices;

namespace ImageUpdate.Foundation.Native;

/// <summary>
/// Owns an lzma_stream kept in native memory (its address must not move while liblzma holds internal
/// state for it) and calls lzma_end exactly once.
/// </summary>
internal sealed unsafe class LzmaStreamHandle : SafeHandle
{
    private LzmaStreamHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle((IntPtr)NativeMemory.AllocZeroed((nuint)sizeof(Lzma.LzmaStream)));
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    internal Lzma.LzmaStream* Stream => (Lzma.LzmaStream*)handle;

    /// <summary>Creates a decoder for concatenated .xz streams with no memory limit (as systemd-importd does); returns the lzma_ret on failure.</summary>
    internal static LzmaStreamHandle CreateDecoder(out int result)
    {
        var created = new LzmaStreamHandle();
        result = Lzma.StreamDecoder(created.Stream, ulong.MaxValue, Lzma.Concatenated | Lzma.TellUnsupportedCheck);
        return created;
    }

    protected override bool ReleaseHandle()
    {
        Lzma.End((Lzma.LzmaStream*)handle);
        NativeMemory.Free((void*)handle);
        return true;
    }
}
