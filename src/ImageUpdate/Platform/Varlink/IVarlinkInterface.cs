using System.Text.Json;

namespace ImageUpdate.Platform.Varlink;

/// <summary>One interface a <see cref="VarlinkServer"/> serves besides org.varlink.service.</summary>
public interface IVarlinkInterface
{
    /// <summary>The interface name, e.g. io.systemd.SysUpdate.</summary>
    string Name { get; }

    /// <summary>The interface in the Varlink IDL, as GetInterfaceDescription returns it.</summary>
    string Description { get; }

    /// <summary>
    /// Runs <paramref name="method"/> (the part after the interface name) and returns what writes the
    /// reply's parameters (null: an empty object). Throws <see cref="VarlinkErrorException"/> to answer
    /// with an error, org.varlink.service.MethodNotFound for a method it does not have.
    /// </summary>
    Task<Action<Utf8JsonWriter>?> CallAsync(string method, VarlinkCall call, VarlinkPeer peer, CancellationToken cancellationToken);
}
