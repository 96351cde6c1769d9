namespace ImageUpdate.Model.Definitions;

/// <summary>sysupdate.d(5) PathRelativeTo=: what Path= is resolved against.</summary>
public enum PathRelativeTo
{
    /// <summary>root: the root directory (--root=, else /). The default.</summary>
    Root,

    /// <summary>esp: the EFI System Partition.</summary>
    Esp,

    /// <summary>xbootldr: the Extended Boot Loader partition.</summary>
    Xbootldr,

    /// <summary>boot: XBOOTLDR if there is one, else the ESP.</summary>
    Boot,

    /// <summary>explicit (sources only): the directory given with --transfer-source=.</summary>
    Explicit,
}
