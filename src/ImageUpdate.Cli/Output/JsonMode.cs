namespace ImageUpdate.Cli.Output;

/// <summary>--json=: off (tables), short (one line), pretty (indented).</summary>
public enum JsonMode
{
    Off,
    Short,
    Pretty,
}
