using System.Runtime.InteropServices;

namespace ImageUpdate.Foundation.Native;

/// <summary>
/// sendmsg(2)/recvmsg(2) with SCM_RIGHTS ancillary data (unix(7)), which .NET's Socket cannot send
/// or receive, for D-Bus unix fd passing; plus close and geteuid for the fds and SASL EXTERNAL.
/// The struct layouts are the LP64 ones Linux uses on x86_64 and aarch64 alike.
/// </summary>
internal static partial class Libc
{
    internal const int SolSocket = 1;
    internal const int ScmRights = 1;
    internal const int MsgCtrunc = 0x8;
    internal const int MsgNoSignal = 0x4000;
    internal const int MsgCmsgCloexec = 0x40000000;
    internal const int EConnReset = 104;
    internal const int EPipe = 32;

    /// <summary>sizeof(struct cmsghdr) on LP64: size_t cmsg_len, int cmsg_level, int cmsg_type.</summary>
    private const int CmsgHeaderLength = 16;

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public nint Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public nint Name;
        public uint NameLength;
        public nint IoVectors;
        public nuint IoVectorCount;
        public nint Control;
        public nuint ControlLength;
        public int Flags;
    }

    [LibraryImport(Library, EntryPoint = "sendmsg", SetLastError = true)]
    private static unsafe partial nint SendMessageRaw(SafeHandle socket, MessageHeader* message, int flags);

    [LibraryImport(Library, EntryPoint = "recvmsg", SetLastError = true)]
    private static unsafe partial nint ReceiveMessageRaw(SafeHandle socket, MessageHeader* message, int flags);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    internal static partial int CloseFd(int fd);

    [LibraryImport(Library, EntryPoint = "geteuid")]
    internal static partial uint GetEffectiveUserId();

    private static int ControlSpace(int fdCount) => CmsgHeaderLength + (((fdCount * sizeof(int)) + 7) & ~7);

    /// <summary>Sends bytes and, with the first byte, the fds; returns how many bytes went out (retrying EINTR).</summary>
    internal static unsafe int SendWithFds(SafeHandle socket, ReadOnlySpan<byte> data, ReadOnlySpan<int> fds)
    {
        var control = stackalloc byte[fds.Length == 0 ? 1 : ControlSpace(fds.Length)];
        fixed (byte* bytes = data)
        {
            var vector = new IoVector { Base = (nint)bytes, Length = (nuint)data.Length };
            var header = new MessageHeader { IoVectors = (nint)(&vector), IoVectorCount = 1 };
            if (fds.Length > 0)
            {
                var space = ControlSpace(fds.Length);
                new Span<byte>(control, space).Clear();
                *(nuint*)control = (nuint)(CmsgHeaderLength + (fds.Length * sizeof(int)));
                *(int*)(control + 8) = SolSocket;
                *(int*)(control + 12) = ScmRights;
                fds.CopyTo(new Span<int>(control + CmsgHeaderLength, fds.Length));
                header.Control = (nint)control;
                header.ControlLength = (nuint)space;
            }

            while (true)
            {
                var sent = SendMessageRaw(socket, &header, MsgNoSignal);
                if (sent >= 0)
                {
                    return (int)sent;
                }

                if (Marshal.GetLastPInvokeError() != EIntr)
                {
                    throw Error("Cannot send on", "D-Bus socket");
                }
            }
        }
    }

    /// <summary>
    /// Receives up to buffer.Length bytes and any fds that came with them (close-on-exec). Returns 0
    /// at end of stream. Fds beyond the control buffer (MSG_CTRUNC) are an error: the kernel closed them.
    /// </summary>
    internal static unsafe int ReceiveWithFds(SafeHandle socket, Span<byte> buffer, List<int> fds)
    {
        const int maxFds = 253;
        var space = ControlSpace(maxFds);
        var control = stackalloc byte[space];
        fixed (byte* bytes = buffer)
        {
            while (true)
            {
                var vector = new IoVector { Base = (nint)bytes, Length = (nuint)buffer.Length };
                var header = new MessageHeader
                {
                    IoVectors = (nint)(&vector),
                    IoVectorCount = 1,
                    Control = (nint)control,
                    ControlLength = (nuint)space,
                };
                var received = ReceiveMessageRaw(socket, &header, MsgCmsgCloexec);
                if (received < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EIntr)
                    {
                        continue;
                    }

                    if (errno == EConnReset)
                    {
                        return 0;
                    }

                    throw Error("Cannot receive from", "D-Bus socket");
                }

                CollectFds(control, (int)header.ControlLength, fds);
                if ((header.Flags & MsgCtrunc) != 0)
                {
                    throw new IOException("The D-Bus peer sent more unix fds than one read can hold.");
                }

                return (int)received;
            }
        }
    }

    private static unsafe void CollectFds(byte* control, int length, List<int> fds)
    {
        var offset = 0;
        while (offset + CmsgHeaderLength <= length)
        {
            var cmsgLength = (int)*(nuint*)(control + offset);
            if (cmsgLength < CmsgHeaderLength || offset + cmsgLength > length)
            {
                break;
            }

            if (*(int*)(control + offset + 8) == SolSocket && *(int*)(control + offset + 12) == ScmRights)
            {
                var count = (cmsgLength - CmsgHeaderLength) / sizeof(int);
                for (var i = 0; i < count; i++)
                {
                    fds.Add(*(int*)(control + offset + CmsgHeaderLength + (i * sizeof(int))));
                }
            }

            offset += (cmsgLength + 7) & ~7;
        }
    }
}
