using System.Runtime.InteropServices;

namespace ImageUpdate.Foundation.Native;

/// <summary>
/// Owns a bz_stream in native memory: libbz2 records the struct's address at init and refuses calls
/// made with the struct anywhere else, so it must never move.
/// </summary>
internal sealed unsafe class Bzip2StreamHandle : SafeHandle
{
    private bool _initialized;

    private Bzip2StreamHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle((IntPtr)NativeMemory.AllocZeroed((nuint)sizeof(Bzip2.BzStream)));
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    internal Bzip2.BzStream* Stream => (Bzip2.BzStream*)handle;

    /// <summary>Creates a decoder; returns the BZ_* code of the init on failure.</summary>
    internal static Bzip2StreamHandle CreateDecoder(out int result)
    {
        var created = new Bzip2StreamHandle();
        result = created.Initialize();
        return created;
    }

    /// <summary>Ends the finished stream's decoder and starts a fresh one for the next concatenated stream.</summary>
    internal int Restart()
    {
        EndIfInitialized();
        *Stream = default;
        return Initialize();
    }

    protected override bool ReleaseHandle()
    {
        EndIfInitialized();
        NativeMemory.Free((void*)handle);
        return true;
    }

    private int Initialize()
    {
        var result = Bzip2.DecompressInit(Stream, verbosity: 0, small: 0);
        _initialized = result == Bzip2.Ok;
        return result;
    }

    private void EndIfInitialized()
    {
        if (_initialized)
        {
            Bzip2.DecompressEnd(Stream);
            _initialized = false;
        }
    }
}
