using System.Collections;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// A value of type 'v': a single complete type's signature and a value in the CLR form the
/// <see cref="MessageWriter"/> accepts and the <see cref="MessageReader"/> produces (see there).
/// </summary>
public sealed record Variant
{
    public Variant(DBusSignature signature, object value)
    {
        if (!DBusSignature.IsSingleCompleteType(signature.Value))
        {
            throw new DBusProtocolException($"A variant needs a single complete type, not '{UntrustedText.Escape(signature.Value)}'.");
        }

        Signature = signature;
        Value = value;
    }

    public DBusSignature Signature { get; }

    public object Value { get; }

    /// <summary>Wraps a value whose D-Bus type follows from its CLR type (string → s, uint → u, ...).</summary>
    public static Variant From(object value) => new(SignatureOf(value), value);

    /// <summary>The D-Bus signature for a CLR value of one of the basic kinds, a Variant, or a string-keyed dictionary of variants.</summary>
    public static string SignatureOf(object value) => value switch
    {
        byte => "y",
        bool => "b",
        short => "n",
        ushort => "q",
        int => "i",
        uint => "u",
        long => "x",
        ulong => "t",
        double => "d",
        string => "s",
        ObjectPath => "o",
        DBusSignature => "g",
        System.Runtime.InteropServices.SafeHandle => "h",
        Variant => "v",
        string[] => "as",
        ObjectPath[] => "ao",
        byte[] => "ay",
        IDictionary<string, Variant> => "a{sv}",
        IDictionary<string, string> => "a{ss}",
        IEnumerable and not string => throw new DBusProtocolException($"The D-Bus type of a {value.GetType().Name} must be given explicitly."),
        _ => throw new DBusProtocolException($"A {value.GetType().Name} has no D-Bus type."),
    };
}
