namespace ImageUpdate.Systemd.Varlink;

/// <summary>
/// io.systemd.SysUpdate as systemd-sysupdate 262 serves it (`varlinkctl introspect` of the real one
/// gives the same methods, types and errors; the comments are ours), and the names of its
/// notification callout, io.systemd.SysUpdate.Notify.
/// </summary>
public static class SysUpdateInterface
{
    public const string Name = "io.systemd.SysUpdate";

    public const string NoUpdateNeeded = Name + ".NoUpdateNeeded";

    public const string NoSuchTarget = Name + ".NoSuchTarget";

    /// <summary>Where systemd-sysupdate's socket unit listens (ListenStream=).</summary>
    public const string SocketPath = "/run/systemd/io.systemd.SysUpdate";

    /// <summary>The directory of subscriber sockets told of every installed update.</summary>
    public const string NotifyDirectory = "/run/systemd/sysupdate/notify";

    public const string OnCompletedUpdate = Name + ".Notify.OnCompletedUpdate";

    public const string Description = """
        # Ask for updates of the system and its components
        interface io.systemd.SysUpdate

        # The kinds of things an update may be for.
        type TargetClass(
        	# A container or virtual machine image.
        	machine,
        	# A portable service image.
        	portable,
        	# A system extension image.
        	sysext,
        	# A configuration extension image.
        	confext,
        	# The host itself (the default sysupdate.d set).
        	host,
        	# A component (a sysupdate.NAME.d set).
        	component
        )

        # Which target is meant.
        type TargetIdentifier(
        	# Its kind.
        	class: TargetClass,
        	# Its name within the kind; none for the host.
        	name: ?string
        )

        # A target updates can be asked for.
        type Target(
        	# Which one.
        	id: TargetIdentifier
        )

        # An optional feature of a target.
        type Feature(
        	# The feature's name.
        	id: string,
        	# One line about it.
        	description: ?string,
        	# Where it is documented.
        	documentation: ?[]string,
        	# Its AppStream catalog.
        	appStream: ?string,
        	# Whether it is switched on.
        	enabled: bool,
        	# Whether switching it on is suggested.
        	suggested: ?bool,
        	# The transfers it controls, whether enabled or not.
        	transfers: ?[]string
        )

        # The optional features of a target.
        method ListFeatures(
        	# The target.
        	target: TargetIdentifier
        ) -> (
        	# Its features.
        	features: []Feature
        )

        # The newest version an update would install.
        method CheckNew(
        	# The target.
        	target: TargetIdentifier,
        	# Whether the caller may be asked to authenticate; false when absent.
        	allowInteractiveAuthentication: ?bool
        ) -> (
        	# The version an update would install.
        	available: string
        )

        # The targets updates can be asked for.
        method ListTargets() -> (
        	# The targets.
        	targets: []Target
        )

        # Nothing newer than what is installed is available.
        error NoUpdateNeeded()

        # No such target.
        error NoSuchTarget()

        """;
}
