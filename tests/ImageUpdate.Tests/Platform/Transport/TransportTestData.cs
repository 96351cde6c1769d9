using ImageUpdate.Platform.Transport;

namespace ImageUpdate.Tests.Platform.Transport;

internal static class TransportTestData
{
    /// <summary>Short delays so retries do not slow the tests; timeouts long enough for a loaded 2-core machine.</summary>
    public static TransportOptions Options => new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(5),
        StallTimeout = TimeSpan.FromSeconds(10),
        RetryDelay = TimeSpan.FromMilliseconds(10),
        MaxRetries = 3,
    };

    public static byte[] Payload(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
