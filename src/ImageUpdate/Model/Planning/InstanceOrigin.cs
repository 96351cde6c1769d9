namespace ImageUpdate.Model.Planning;

/// <summary>Which inventory of a transfer an update set's instance was found in.</summary>
public enum InstanceOrigin
{
    /// <summary>The target holds it (installed, partial or pending there).</summary>
    Target,

    /// <summary>Only the source offers it: acquiring it writes a new copy.</summary>
    Source,
}
