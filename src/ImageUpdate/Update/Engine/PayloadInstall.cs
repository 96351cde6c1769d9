using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Update.Transfers;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Engine;

/// <summary>
/// Installs one version from a directory of payloads (named by each transfer's source MatchPattern,
/// as `publish` reads them) through the ordinary update path: what `build-image` uses to put the
/// first version into a new image, so the first install runs exactly the code every later update
/// runs. URL sources read the same names from the directory (url-file as a file, url-tar as a
/// tarball); there is no manifest to check, because the payloads are the build's own inputs.
/// </summary>
public static class PayloadInstall
{
    public static async Task<UpdateResult> RunAsync(EngineOptions options, string payloads, string version, ILogger logger, IUpdateObserver? observer, EngineServices? services, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(payloads))
        {
            throw new UpdateException($"The payload directory '{UntrustedText.Escape(payloads)}' does not exist.");
        }

        using var engine = new UpdateEngine(options, logger, observer, transfer => new LocalSource(AsLocal(transfer.Source), payloads), services);
        var result = await engine.UpdateAsync(version, UpdateActions.All, cancellationToken).ConfigureAwait(false);
        return result.Outcome == UpdateOutcome.NothingToDo
            ? throw new UpdateException($"Version '{UntrustedText.Escape(version)}' is not complete in '{UntrustedText.Escape(payloads)}': every transfer needs its file there, named by its source MatchPattern.")
            : result;
    }

    private static SourceDefinition AsLocal(SourceDefinition source) => source.Type switch
    {
        ResourceType.UrlFile => source with { Type = ResourceType.RegularFile },
        ResourceType.UrlTar => source with { Type = ResourceType.Tar },
        _ => source,
    };
}
