using ImageUpdate.Platform.DBus;
using Tmds.DBus.Protocol;

namespace ImageUpdate.Systemd.Service;

/// <summary>A method of a sysupdate1 object: the argument signature its calls must have, and its handler (which reads the arguments before its first await).</summary>
internal sealed record SysupdateMethod(string InSignature, Func<MethodContext, Task<MethodReply>> Handler);
