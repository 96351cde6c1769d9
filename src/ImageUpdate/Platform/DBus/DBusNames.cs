using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// The name rules of D-Bus Specification 0.41 §Valid Names and §Valid Object Paths. Each check
/// throws <see cref="DBusProtocolException"/> quoting the name, so a malformed header field or a
/// caller's typo never reaches the wire.
/// </summary>
public static class DBusNames
{
    public static bool IsValidInterface(string name) => IsDotted(name, allowLeadingDigit: false, allowHyphen: false);

    /// <summary>Error names follow the interface name rules (§Valid Names, "Error names").</summary>
    public static bool IsValidErrorName(string name) => IsValidInterface(name);

    public static bool IsValidMember(string name) =>
        name.Length is > 0 and <= DBusLimits.MaxNameLength && IsElement(name, allowLeadingDigit: false, allowHyphen: false);

    /// <summary>Unique names start with ':' and their elements may start with a digit; well-known names may not.</summary>
    public static bool IsValidBusName(string name)
    {
        if (name.Length is 0 or > DBusLimits.MaxNameLength)
        {
            return false;
        }

        return name[0] == ':'
            ? IsDotted(name[1..], allowLeadingDigit: true, allowHyphen: true, maxLength: DBusLimits.MaxNameLength - 1)
            : IsDotted(name, allowLeadingDigit: false, allowHyphen: true);
    }

    public static bool IsValidObjectPath(string path)
    {
        if (path.Length == 0 || path[0] != '/')
        {
            return false;
        }

        if (path.Length == 1)
        {
            return true;
        }

        foreach (var element in path[1..].Split('/'))
        {
            if (element.Length == 0 || !element.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    public static string CheckInterface(string name) => IsValidInterface(name) ? name : throw Invalid("interface name", name);

    public static string CheckErrorName(string name) => IsValidErrorName(name) ? name : throw Invalid("error name", name);

    public static string CheckMember(string name) => IsValidMember(name) ? name : throw Invalid("member name", name);

    public static string CheckBusName(string name) => IsValidBusName(name) ? name : throw Invalid("bus name", name);

    public static string CheckObjectPath(string path) => IsValidObjectPath(path) ? path : throw Invalid("object path", path);

    private static DBusProtocolException Invalid(string what, string value) =>
        new($"'{UntrustedText.Escape(value)}' is not a valid D-Bus {what}.");

    private static bool IsDotted(string name, bool allowLeadingDigit, bool allowHyphen, int maxLength = DBusLimits.MaxNameLength)
    {
        if (name.Length == 0 || name.Length > maxLength)
        {
            return false;
        }

        var elements = name.Split('.');
        return elements.Length >= 2 && elements.All(e => IsElement(e, allowLeadingDigit, allowHyphen));
    }

    private static bool IsElement(string element, bool allowLeadingDigit, bool allowHyphen)
    {
        if (element.Length == 0 || (!allowLeadingDigit && char.IsAsciiDigit(element[0])))
        {
            return false;
        }

        return element.All(c => char.IsAsciiLetterOrDigit(c) || c == '_' || (allowHyphen && c == '-'));
    }
}
