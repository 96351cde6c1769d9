using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace ImageUpdate.Tests.Platform.Transport;

/// <summary>
/// Serves one file the way a static file server does (ETag, Last-Modified, Range, If-Range,
/// RFC 9110 §14) with switches to misbehave: ignore Range or If-Range, cut the connection after
/// some bytes of a given request, change the file between requests. Records what it was asked and
/// how many body bytes it sent.
/// </summary>
internal sealed class RangeFileEndpoint
{
    private const int ChunkSize = 64 * 1024;
    private int _requestCount;
    private long _bytesSent;

    public RangeFileEndpoint(byte[] content, string? etag = "\"v1\"")
    {
        Content = content;
        ETag = etag;
    }

    public byte[] Content { get; set; }

    public string? ETag { get; set; }

    public DateTimeOffset? LastModified { get; set; } = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    public bool HonorsRange { get; set; } = true;

    public bool HonorsIfRange { get; set; } = true;

    /// <summary>For request number i (from 0): abort the connection after this many body bytes, or null to send everything.</summary>
    public Func<int, long?> CutAfter { get; set; } = _ => null;

    /// <summary>Called before request number i is answered, to change the file between requests.</summary>
    public Action<int, RangeFileEndpoint> BeforeRequest { get; set; } = (_, _) => { };

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public async Task HandleAsync(HttpContext context, CancellationToken stopping)
    {
        var index = Interlocked.Increment(ref _requestCount) - 1;
        var range = context.Request.Headers.Range.ToString();
        var ifRange = context.Request.Headers.IfRange.ToString();
        Requests.Enqueue(new RecordedRequest(range, ifRange, context.Request.Headers.UserAgent.ToString()));
        BeforeRequest(index, this);

        var content = Content;
        var lastModified = LastModified?.ToString("r", CultureInfo.InvariantCulture);
        var response = context.Response;
        if (ETag is not null)
        {
            response.Headers.ETag = ETag;
        }

        if (lastModified is not null)
        {
            response.Headers.LastModified = lastModified;
        }

        response.Headers.AcceptRanges = "bytes";

        long start = 0;
        var validatorMatches = ifRange.Length == 0 || ifRange == ETag || ifRange == lastModified;
        if (HonorsRange && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-') && (!HonorsIfRange || validatorMatches))
        {
            start = long.Parse(range["bytes=".Length..^1], CultureInfo.InvariantCulture);
            if (start >= content.Length)
            {
                response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                response.Headers.ContentRange = $"bytes */{content.Length}";
                return;
            }

            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes {start}-{content.Length - 1}/{content.Length}";
        }

        response.ContentLength = content.Length - start;
        var cut = CutAfter(index);
        long sent = 0;
        for (var offset = start; offset < content.Length; offset += ChunkSize)
        {
            var count = (int)Math.Min(ChunkSize, content.Length - offset);
            if (cut is { } limit && sent + count > limit)
            {
                count = (int)(limit - sent);
            }

            await response.Body.WriteAsync(content.AsMemory((int)offset, count), stopping);
            sent += count;
            Interlocked.Add(ref _bytesSent, count);
            if (cut is { } stop && sent >= stop)
            {
                await response.Body.FlushAsync(stopping);
                context.Abort();
                return;
            }
        }
    }

    public sealed record RecordedRequest(string Range, string IfRange, string UserAgent);
}
