using System.Text.Json;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Platform.Varlink;

namespace ImageUpdate.Systemd.Varlink;

/// <summary>
/// The TargetIdentifier parameter: a class and a name, which the host must not have and every
/// other class must; a component's name must be one systemd-sysupdate accepts. Anything else is
/// org.varlink.service.InvalidParameter naming the parameter, as 262 answers.
/// </summary>
public sealed record TargetIdentifier(string Class, string? Name)
{
    public const string HostClass = "host";

    public const string ComponentClass = "component";

    private static readonly string[] Classes = ["machine", "portable", "sysext", "confext", HostClass, ComponentClass];

    public static TargetIdentifier Read(JsonElement parameters, string parameter)
    {
        if (!parameters.TryGetProperty(parameter, out var value) || value.ValueKind != JsonValueKind.Object)
        {
            throw VarlinkErrorException.InvalidParameter(parameter);
        }

        string? @class = null, name = null;
        foreach (var member in value.EnumerateObject())
        {
            switch (member.Name)
            {
                case "class" when member.Value.ValueKind == JsonValueKind.String && Classes.Contains(member.Value.GetString()):
                    @class = member.Value.GetString();
                    break;
                case "name" when member.Value.ValueKind == JsonValueKind.String:
                    name = member.Value.GetString();
                    break;
                case "name" when member.Value.ValueKind == JsonValueKind.Null:
                    break;
                default:
                    throw VarlinkErrorException.InvalidParameter(parameter);
            }
        }

        if (@class is null
            || (@class == HostClass) != (name is null)
            || (@class == ComponentClass && !DefinitionLoader.ComponentNameIsValid(name!)))
        {
            throw VarlinkErrorException.InvalidParameter(parameter);
        }

        return new TargetIdentifier(@class, name);
    }
}
