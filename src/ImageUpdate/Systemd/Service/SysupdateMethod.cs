using ImageUpdate.Platform.DBus;
using Tmds.DBus.Protocol;

namespace ImageUpdate.Systemd.Service;

/// <summary>A method of a sysupdate1 object: the argument signature its calls must have, and its handler (the request stays readable until the handler's task completes).</summary>
internal sealed record SysupdateMethod(string InSignature, Func<MethodContext, Task<MethodReply>> Handler);
