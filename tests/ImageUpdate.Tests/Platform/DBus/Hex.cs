namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>Golden bytes written as hex with spaces between fields, so each value's bytes and padding are visible.</summary>
internal static class Hex
{
    public static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static string Normalize(string hex) => hex.Replace(" ", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
}
