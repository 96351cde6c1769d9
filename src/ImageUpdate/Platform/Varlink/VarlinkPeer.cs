namespace ImageUpdate.Platform.Varlink;

/// <summary>Who is calling: the user ID the kernel vouches for (SO_PEERCRED), null when it does not say.</summary>
public sealed record VarlinkPeer(uint? UserId);
