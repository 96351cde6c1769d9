using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using ImageUpdate.Formats.Casync;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Tests.Update.Delta;

/// <summary>Images for delta tests: a random v1 and a v2 with runs of it rewritten, both from fixed seeds.</summary>
internal static class DeltaTestData
{
    public const int Run = 1 << 20;

    public static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>v1 with <paramref name="share"/> of its bytes rewritten in 1 MiB runs (smaller ones for small images) at random offsets.</summary>
    public static byte[] Rewrite(byte[] v1, double share, int seed)
    {
        var v2 = (byte[])v1.Clone();
        var random = new Random(seed);
        var run = Math.Min(Run, Math.Max(4096, v1.Length / 64));
        var runs = Math.Max(1, (int)Math.Round(v1.Length * share / run));
        for (var i = 0; i < runs; i++)
        {
            var offset = random.Next(0, v1.Length - run);
            random.NextBytes(v2.AsSpan(offset, run));
        }

        return v2;
    }

    public static async Task<CasyncIndex> IndexAsync(byte[] blob, ChunkStore? store) =>
        await CasyncBlob.IndexAsync(new MemoryStream(blob, writable: false), store, ChunkSizeLimits.Default, CancellationToken.None);

    public static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        var output = new MemoryStream();
        var buffer = new byte[100_000];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }
}

/// <summary>A chunk source over a local store that counts what it was asked for and the buffers it was handed.</summary>
internal sealed class CountingStoreSource(ChunkStore store) : IChunkSource
{
    private readonly ConcurrentDictionary<byte[], bool> _buffers = new(ReferenceEqualityComparer.Instance);
    private int _requests;
    private long _bytes;

    public int Requests => _requests;

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Distinct arrays the rebuild read chunks into.</summary>
    public int DistinctBuffers => _buffers.Count;

    public long BufferBytes => _buffers.Keys.Sum(b => (long)b.Length);

    public Func<IndexedChunk, Memory<byte>, bool>? Override { get; init; }

    public ValueTask<bool> TryReadAsync(IndexedChunk chunk, Memory<byte> destination, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        if (MemoryMarshal.TryGetArray<byte>(destination, out var segment))
        {
            _buffers.TryAdd(segment.Array!, true);
        }

        if (Override is { } replace)
        {
            return ValueTask.FromResult(replace(chunk, destination));
        }

        if (!store.Contains(chunk.Id))
        {
            return ValueTask.FromResult(false);
        }

        store.Read(chunk.Id, destination.Span);
        Interlocked.Add(ref _bytes, chunk.Length);
        return ValueTask.FromResult(true);
    }
}

/// <summary>Keeps formatted messages of information and worse (or of <see cref="Minimum"/> and worse), from any thread.</summary>
internal sealed class CollectingLogger : ILogger
{
    private readonly ConcurrentQueue<string> _messages = new();

    public IReadOnlyList<string> Messages => [.. _messages];

    public LogLevel Minimum { get; init; } = LogLevel.Information;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= Minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            _messages.Enqueue(formatter(state, exception));
        }
    }
}
