namespace ImageUpdate.Formats.Verification;

/// <summary>What <see cref="Sha256Manifest.CheckFreshness"/> concluded about BEST-BEFORE markers.</summary>
public enum ManifestFreshness
{
    /// <summary>The manifest carries no valid BEST-BEFORE marker.</summary>
    NoMarker,

    /// <summary>Every marker's date is still ahead.</summary>
    Fresh,

    /// <summary>A marker's date has passed, but SYSTEMD_SYSUPDATE_VERIFY_FRESHNESS=0 says to go on (warn).</summary>
    StaleIgnored,
}
