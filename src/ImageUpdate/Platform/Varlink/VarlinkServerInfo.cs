namespace ImageUpdate.Platform.Varlink;

/// <summary>What org.varlink.service.GetInfo answers besides the interface list.</summary>
public sealed record VarlinkServerInfo(string Vendor, string Product, string Version, string Url);
