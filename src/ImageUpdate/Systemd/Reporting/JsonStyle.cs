namespace ImageUpdate.Systemd.Reporting;

/// <summary>The two ways sd-json prints a document: short (one line) and pretty (tab-indented).</summary>
public enum JsonStyle
{
    Short,
    Pretty,
}
