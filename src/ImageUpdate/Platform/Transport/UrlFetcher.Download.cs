using System.Globalization;
using System.Net;
using System.Text.Json;
using ImageUpdate.Foundation.Streams;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Platform.Transport;

/// <summary>Resumable downloads into a partial file with a JSON sidecar of the server's validators.</summary>
public sealed partial class UrlFetcher
{
    private const int FileBufferSize = 1 << 20;

    /// <summary>The sidecar that lets a later run continue <paramref name="partialPath"/>.</summary>
    public static string StatePath(string partialPath) => partialPath + ".meta";

    /// <summary>
    /// Downloads <paramref name="url"/> into <paramref name="partialPath"/>. If that file already
    /// holds the start of the same file (its sidecar names this URL and the server's ETag or
    /// Last-Modified), only the rest is fetched, with Range and If-Range; a server that answers
    /// 200 (the file changed, or it ignores Range) or a 206 that does not continue the file makes
    /// the download start over from zero. A connection that breaks mid-body is continued the
    /// same way, up to <see cref="TransportOptions.MaxRetries"/> consecutive failures. On success
    /// the sidecar is removed and the file is complete (not synced: the caller renames and syncs).
    /// </summary>
    /// <exception cref="DownloadException">With <see cref="DownloadFailure.NotFound"/> when the file does not exist.</exception>
    public async Task<DownloadResult> DownloadToFileAsync(Uri url, string partialPath, long maxBytes, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var statePath = StatePath(partialPath);
        var file = new FileStream(partialPath, new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.Write,
            Share = FileShare.None,
            Options = FileOptions.Asynchronous,
            BufferSize = 0,
        });
        await using (file.ConfigureAwait(false))
        {
            var identity = url.IsFile ? null : LoadState(statePath, url);
            var position = identity is not null && file.Length <= maxBytes ? file.Length : 0;
            if (position == 0)
            {
                identity = null;
            }

            file.SetLength(position);
            long fetched = 0;
            int resumes = 0, restarts = 0, failures = 0;
            while (true)
            {
                try
                {
                    if (url.IsFile)
                    {
                        await using var local = OpenLocal(url, maxBytes);
                        file.SetLength(0);
                        await AppendAsync(local, file, 0, ForwardReadStream.ExpectedLengthOf(local), n => fetched += n, progress, cancellationToken).ConfigureAwait(false);
                        DeleteState(statePath);
                        return new DownloadResult(file.Length, fetched, 0, 0);
                    }

                    var response = await SendAsync(url, position, identity?.IfRange, cancellationToken).ConfigureAwait(false);
                    using (response)
                    {
                        if (position > 0)
                        {
                            var problem = response.StatusCode is HttpStatusCode.OK or HttpStatusCode.PartialContent or HttpStatusCode.RequestedRangeNotSatisfiable
                                ? ContinuationProblem(response, position, identity!)
                                : null;
                            if (problem is null)
                            {
                                EnsureStatus(url, response);
                                resumes++;
                                _logger.LogInformation("Continuing {Url} from byte {Position}.", DownloadException.Describe(url), position);
                            }
                            else
                            {
                                if (++restarts > _options.MaxRetries + 1)
                                {
                                    throw new DownloadException(url, DownloadFailure.Inconsistent, $"it kept changing while it was downloaded ({problem})");
                                }

                                _logger.LogInformation("Starting {Url} over: {Problem}.", DownloadException.Describe(url), problem);
                                position = 0;
                                identity = null;
                                file.SetLength(0);
                                DeleteState(statePath);
                                if (response.StatusCode != HttpStatusCode.OK)
                                {
                                    continue;
                                }
                            }
                        }

                        if (position == 0)
                        {
                            EnsureStatus(url, response);
                            identity = ResponseIdentity.From(response);
                            EnsureWithinBound(url, identity.Length, maxBytes);
                            SaveState(statePath, url, identity);
                        }

                        await using var body = await BodyAsync(url, response, maxBytes, position, cancellationToken).ConfigureAwait(false);
                        position = await AppendAsync(body, file, position, identity!.Length, n =>
                        {
                            fetched += n;
                            failures = 0;
                        }, progress, cancellationToken).ConfigureAwait(false);
                    }

                    if (identity!.Length is { } total && position != total)
                    {
                        throw new DownloadException(url, DownloadFailure.ConnectionLost, string.Create(CultureInfo.InvariantCulture,
                            $"the response ended after {position} of {total} bytes"));
                    }

                    DeleteState(statePath);
                    return new DownloadResult(position, fetched, resumes, restarts);
                }
                catch (DownloadException e) when (e.IsTransient && !cancellationToken.IsCancellationRequested)
                {
                    await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                    position = file.Length;
                    if (++failures > _options.MaxRetries)
                    {
                        throw;
                    }

                    if (identity is null || !identity.CanResume)
                    {
                        // Nothing to check a continuation against: the bytes so far cannot be trusted to match the next response.
                        position = 0;
                        identity = null;
                        file.SetLength(0);
                    }

                    await WaitBeforeRetryAsync(e, failures, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task<long> AppendAsync(Stream body, FileStream file, long position, long? total, Action<int> onBytes, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var buffer = new byte[FileBufferSize];
        file.Position = position;
        int count;
        while ((count = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await file.WriteAsync(buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
            position += count;
            onBytes(count);
            progress?.Report(new DownloadProgress(position, total));
        }

        return position;
    }

    /// <summary>The validators of the partial file's origin, when its sidecar is readable and names this URL.</summary>
    private ResponseIdentity? LoadState(string statePath, Uri url)
    {
        try
        {
            var state = JsonSerializer.Deserialize(File.ReadAllBytes(statePath), TransportJsonContext.Default.PartialDownloadState);
            if (state is not null && state.Url == url.AbsoluteUri && state.Identity.CanResume)
            {
                return state.Identity;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            // Missing or damaged: the partial file is simply started over.
            _logger.LogDebug("Ignoring the partial download state {Path}: {Error}", statePath, e.Message);
        }

        return null;
    }

    private static void SaveState(string statePath, Uri url, ResponseIdentity identity)
    {
        if (!identity.CanResume)
        {
            DeleteState(statePath);
            return;
        }

        var state = new PartialDownloadState(url.AbsoluteUri, identity.ETag, identity.LastModified, identity.Length);
        var temporary = statePath + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(state, TransportJsonContext.Default.PartialDownloadState));
        File.Move(temporary, statePath, overwrite: true);
    }

    private static void DeleteState(string statePath) => File.Delete(statePath);
}
