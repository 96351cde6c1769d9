using System.Security;
using System.Text;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// The introspection XML of D-Bus Specification 0.41 §Introspection Data Format, generated from the
/// registered interfaces plus the standard ones every exported object answers.
/// </summary>
internal static class DBusIntrospection
{
    private const string DocType =
        "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n" +
        " \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n";

    private const string StandardInterfaces = """
          <interface name="org.freedesktop.DBus.Peer">
            <method name="Ping"/>
            <method name="GetMachineId"><arg name="machine_uuid" type="s" direction="out"/></method>
          </interface>
          <interface name="org.freedesktop.DBus.Introspectable">
            <method name="Introspect"><arg name="xml_data" type="s" direction="out"/></method>
          </interface>
          <interface name="org.freedesktop.DBus.Properties">
            <method name="Get"><arg name="interface_name" type="s" direction="in"/><arg name="property_name" type="s" direction="in"/><arg name="value" type="v" direction="out"/></method>
            <method name="GetAll"><arg name="interface_name" type="s" direction="in"/><arg name="props" type="a{sv}" direction="out"/></method>
            <method name="Set"><arg name="interface_name" type="s" direction="in"/><arg name="property_name" type="s" direction="in"/><arg name="value" type="v" direction="in"/></method>
            <signal name="PropertiesChanged"><arg name="interface_name" type="s"/><arg name="changed_properties" type="a{sv}"/><arg name="invalidated_properties" type="as"/></signal>
          </interface>

        """;

    public static string Generate(DBusObject? obj, IReadOnlyList<string> children)
    {
        var xml = new StringBuilder(DocType).Append("<node>\n");
        if (obj is not null)
        {
            xml.Append(StandardInterfaces);
            foreach (var iface in obj.Interfaces.Values)
            {
                xml.Append("  <interface name=\"").Append(iface.Name).Append("\">\n");
                foreach (var method in iface.Methods.Values)
                {
                    xml.Append("    <method name=\"").Append(method.Name).Append("\">\n");
                    AppendArgs(xml, method.InSignature, method.InNames, "in");
                    AppendArgs(xml, method.OutSignature, method.OutNames, "out");
                    xml.Append("    </method>\n");
                }

                foreach (var signal in iface.Signals.Values)
                {
                    xml.Append("    <signal name=\"").Append(signal.Name).Append("\">\n");
                    AppendArgs(xml, signal.Signature, signal.ArgNames, null);
                    xml.Append("    </signal>\n");
                }

                foreach (var property in iface.Properties.Values)
                {
                    var access = property.Access switch
                    {
                        PropertyAccess.Read => "read",
                        PropertyAccess.Write => "write",
                        _ => "readwrite",
                    };
                    xml.Append("    <property name=\"").Append(property.Name).Append("\" type=\"").Append(SecurityElement.Escape(property.Signature.Value))
                        .Append("\" access=\"").Append(access).Append("\"/>\n");
                }

                xml.Append("  </interface>\n");
            }
        }

        foreach (var child in children)
        {
            xml.Append("  <node name=\"").Append(child).Append("\"/>\n");
        }

        return xml.Append("</node>\n").ToString();
    }

    private static void AppendArgs(StringBuilder xml, DBusSignature signature, IReadOnlyList<string>? names, string? direction)
    {
        var types = signature.CompleteTypes;
        for (var i = 0; i < types.Count; i++)
        {
            xml.Append("      <arg");
            if (names is not null && i < names.Count)
            {
                xml.Append(" name=\"").Append(SecurityElement.Escape(names[i])).Append('"');
            }

            xml.Append(" type=\"").Append(SecurityElement.Escape(types[i])).Append('"');
            if (direction is not null)
            {
                xml.Append(" direction=\"").Append(direction).Append('"');
            }

            xml.Append("/>\n");
        }
    }
}
