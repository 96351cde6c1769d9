using System.Runtime.InteropServices;

namespace ImageUpdate.Foundation.Native;

/// <summary>Owns a ZSTD_DStream; freed exactly once with ZSTD_freeDStream.</summary>
internal sealed class ZstdDecoderHandle : SafeHandle
{
    public ZstdDecoderHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Zstd.FreeDecoder(handle);
        return true;
    }
}
