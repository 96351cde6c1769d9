using ImageUpdate.Engine;

namespace ImageUpdate.Service;

/// <summary>
/// The JSON text Describe and DescribeFeature return. sysupdated passes on what `systemd-sysupdate
/// --json=short list VERSION` and `features NAME` print; the program's own formatters make exactly
/// those shapes, so the CLI hands them in and the two can never drift apart.
/// </summary>
public sealed record ServiceJsonShapes(Func<VersionDetails, string> DescribeVersion, Func<FeatureRow, string> DescribeFeature);
