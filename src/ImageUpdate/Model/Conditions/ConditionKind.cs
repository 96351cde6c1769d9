namespace ImageUpdate.Model.Conditions;

/// <summary>
/// The condition families a component or feature may name in SuggestOn*= (sysupdate.components(5),
/// sysupdate.features(5)): the same tests as the unit conditions of systemd.unit(5), as 262 evaluates them.
/// </summary>
public enum ConditionKind
{
    Architecture,
    Firmware,
    Virtualization,
    Host,
    Fraction,
    KernelCommandLine,
    Version,
    Credential,
    Security,
    OSRelease,
    MachineTag,
}
