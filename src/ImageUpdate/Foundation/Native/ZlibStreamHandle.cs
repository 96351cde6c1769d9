using System.Runtime.InteropServices;

namespace ImageUpdate.Foundation.Native;

/// <summary>
/// Owns a z_stream in native memory: zlib records the struct's address in its state and rejects
/// calls made with a moved copy. inflateEnd runs exactly once.
/// </summary>
internal sealed unsafe class ZlibStreamHandle : SafeHandle
{
    private bool _initialized;

    private ZlibStreamHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle((IntPtr)NativeMemory.AllocZeroed((nuint)sizeof(Zlib.ZStream)));
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    internal Zlib.ZStream* Stream => (Zlib.ZStream*)handle;

    /// <summary>Creates a gzip inflater; returns the Z_* code of the init on failure.</summary>
    internal static ZlibStreamHandle CreateGzipInflater(out int result)
    {
        var created = new ZlibStreamHandle();
        result = Zlib.InflateInit2(created.Stream, Zlib.GzipWindowBits, Zlib.Version(), sizeof(Zlib.ZStream));
        created._initialized = result == Zlib.Ok;
        return created;
    }

    protected override bool ReleaseHandle()
    {
        if (_initialized)
        {
            Zlib.InflateEnd((Zlib.ZStream*)handle);
        }

        NativeMemory.Free((void*)handle);
        return true;
    }
}
