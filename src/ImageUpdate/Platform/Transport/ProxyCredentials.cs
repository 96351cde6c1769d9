using System.Net;

namespace ImageUpdate.Platform.Transport;

/// <summary>The user:password of each proxy URL, offered only to that proxy.</summary>
internal sealed class ProxyCredentials : ICredentials
{
    private readonly Dictionary<Uri, NetworkCredential> _byProxy = [];

    public void Add(Uri proxy, NetworkCredential credential) => _byProxy[proxy] = credential;

    public NetworkCredential? GetCredential(Uri uri, string authType) =>
        _byProxy.TryGetValue(uri, out var credential) ? credential : null;
}
