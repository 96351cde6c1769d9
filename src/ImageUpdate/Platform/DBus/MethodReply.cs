using Tmds.DBus.Protocol;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// What an <see cref="ExportedObject"/>'s method returns: the reply's signature and a writer for its
/// body. Ours because a handler that awaits cannot hold the package's reply writer (a ref struct);
/// <see cref="ExportedObject"/> writes the reply once the handler is done.
/// </summary>
public sealed record MethodReply(string Signature, BodyWriter? Body)
{
    public static MethodReply Empty { get; } = new("", null);

    public static MethodReply String(string value) => new("s", (ref MessageWriter w) => w.WriteString(value));

    public static MethodReply Strings(IReadOnlyList<string> values) => new("as", (ref MessageWriter w) => w.WriteArray(values));
}
