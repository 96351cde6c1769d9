using System.Globalization;

namespace ImageUpdate.Platform.Transport;

/// <summary>file:// URLs: the local file, under the same bound as a download (systemd v252's test serves its URL sources this way).</summary>
public sealed partial class UrlFetcher
{
    private DownloadStream OpenLocal(Uri url, long maxBytes)
    {
        var path = LocalPath(url);
        FileStream file;
        try
        {
            file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = 0,
            });
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DownloadException(url, DownloadFailure.NotFound, "the file does not exist", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DownloadException(url, DownloadFailure.LocalFile, $"the file cannot be opened ({Foundation.Errors.UntrustedText.Escape(e.Message)})", e);
        }

        try
        {
            // A regular file announces its size like Content-Length; a FIFO or device is only
            // bounded as it is read.
            if (file.CanSeek && file.Length > maxBytes)
            {
                throw new DownloadException(url, DownloadFailure.TooLarge, string.Create(CultureInfo.InvariantCulture,
                    $"the file has {file.Length} bytes, more than the limit of {maxBytes} bytes"));
            }

            return new DownloadStream(file, owner: null, url, maxBytes, maxBytes, stallTimeout: null, CountBytes);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static string LocalPath(Uri url)
    {
        // RFC 8089: file:///path or file://localhost/path; any other host would be a network share.
        if (url.Host.Length != 0 && !url.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            throw new DownloadException(url, DownloadFailure.LocalFile, "a file URL must not name a host other than localhost");
        }

        return Uri.UnescapeDataString(url.AbsolutePath);
    }
}
