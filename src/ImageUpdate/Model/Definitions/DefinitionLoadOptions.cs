using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Model.Definitions;

/// <summary>What <see cref="DefinitionLoader.Load"/> reads and how (systemd-sysupdate(8) options).</summary>
public sealed record DefinitionLoadOptions
{
    /// <summary>--definitions=: read only this directory (no search path, no component).</summary>
    public string? DefinitionsDirectory { get; init; }

    /// <summary>--root=: the search directories (/etc, /run, /usr/local/lib, /usr/lib) are taken under it.</summary>
    public string Root { get; init; } = "/";

    /// <summary>-C/--component=: read sysupdate.NAME.d instead of sysupdate.d.</summary>
    public string? Component { get; init; }

    /// <summary>--transfer-source=: required by a source with PathRelativeTo=explicit.</summary>
    public string? TransferSource { get; init; }

    /// <summary>Specifier values; null: the running host, with os-release and machine-id under <see cref="Root"/>.</summary>
    public SpecifierContext? Specifiers { get; init; }

    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>
    /// Fail on the invalid values systemd only warns about and ignores (unparsable values, failed
    /// specifier expansion, ...); unknown keys and sections stay warnings. Off by default, as in
    /// systemd; image-update's engine turns it on, so a typo such as ProtectVersion=%Q stops the run
    /// instead of silently protecting nothing.
    /// </summary>
    public bool WarningsAreErrors { get; init; }
}
