namespace ImageUpdate.Model.Definitions;

/// <summary>
/// enable-component / disable-component (systemd 262): writes
/// ROOT/etc/sysupdate.NAME.component.d/50-systemd-sysupdate-enabled.conf with "[Component]\nEnabled=yes|no",
/// under systemd's drop-in name so either tool replaces the other's.
/// </summary>
public static class ComponentSwitch
{
    public static string SetEnabled(string root, string name, bool enable)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(name);
        var path = Path.Combine(root, "etc", $"sysupdate.{name}.component.d", FeatureSwitch.DropInName);
        var verb = enable ? "enable-component" : "disable-component";
        FeatureSwitch.WriteAtomically(path, $"# Generated via 'image-update {verb}'\n\n[Component]\nEnabled={(enable ? "yes" : "no")}\n");
        return path;
    }
}
