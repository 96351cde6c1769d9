namespace ImageUpdate.Systemd.Service;

/// <summary>
/// The Class property of a target. image-update offers the host (the default sysupdate.d set) and
/// its components; sysupdated's machine, portable, sysext and confext images are not enumerated.
/// </summary>
public enum TargetClass
{
    Host,
    Component,
}
