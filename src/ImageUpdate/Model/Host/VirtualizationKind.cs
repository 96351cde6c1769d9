namespace ImageUpdate.Model.Host;

/// <summary>systemd's classification of a virtualization ID (VIRTUALIZATION_IS_VM / _IS_CONTAINER).</summary>
public enum VirtualizationKind
{
    None,
    VirtualMachine,
    Container,
}
