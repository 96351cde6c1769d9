namespace ImageUpdate.Platform.Varlink;

/// <summary>
/// org.varlink.service, which every Varlink server implements (varlink.org "Service"), and
/// io.systemd, the errors systemd's servers may answer any call with: names and IDL.
/// </summary>
public static class VarlinkService
{
    public const string Interface = "org.varlink.service";

    public const string GetInfo = Interface + ".GetInfo";

    public const string GetInterfaceDescription = Interface + ".GetInterfaceDescription";

    public const string InterfaceNotFound = Interface + ".InterfaceNotFound";

    public const string MethodNotFound = Interface + ".MethodNotFound";

    public const string MethodNotImplemented = Interface + ".MethodNotImplemented";

    public const string InvalidParameter = Interface + ".InvalidParameter";

    public const string PermissionDenied = Interface + ".PermissionDenied";

    public const string ExpectedMore = Interface + ".ExpectedMore";

    public const string SystemdInterface = "io.systemd";

    /// <summary>io.systemd.System: a Linux errno as the failure of a call.</summary>
    public const string SystemError = SystemdInterface + ".System";

    public const string Description = """
        # The interface every Varlink service offers: who it is and what it speaks
        interface org.varlink.service

        # Who provides the service and which interfaces it implements
        method GetInfo() -> (
        	# Who makes the service
        	vendor: string,
        	# The program behind it
        	product: string,
        	# The program's version
        	version: string,
        	# Where to read more
        	url: string,
        	# The interfaces it answers
        	interfaces: []string
        )

        # One interface in the Varlink interface definition language
        method GetInterfaceDescription(
        	# The interface asked for
        	interface: string
        ) -> (
        	# Its definition
        	description: string
        )

        # The service has no such interface
        error InterfaceNotFound(
        	# The interface asked for
        	interface: string
        )

        # The interface has no such method
        error MethodNotFound(
        	# The method asked for
        	method: string
        )

        # The method is defined but this service does not implement it
        error MethodNotImplemented(
        	# The method asked for
        	method: string
        )

        # A parameter is missing, of the wrong type, or its value is refused
        error InvalidParameter(
        	# The parameter's name
        	parameter: string
        )

        # The caller may not do this
        error PermissionDenied()

        # The method answers only calls that ask for more replies
        error ExpectedMore()

        """;

    public const string SystemdDescription = """
        # Errors systemd's services may answer any call with
        interface io.systemd

        # The connection went away (a client's own verdict, never sent)
        error Disconnected()

        # No reply came in time (a client's own verdict, never sent)
        error TimedOut()

        # The peer broke the protocol (a client's own verdict, never sent)
        error Protocol()

        # The call failed with an operating-system error
        error System(
        	# Whose error numbers these are: "linux"
        	origin: ?string,
        	# The error's symbolic name, such as EIO
        	errnoName: ?string,
        	# The error's number
        	errno: ?int
        )

        """;
}
