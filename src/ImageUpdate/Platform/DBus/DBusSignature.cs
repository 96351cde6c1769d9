using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// A validated D-Bus type signature (type code 'g', and the SIGNATURE header field): a sequence of
/// complete types, at most 255 bytes, arrays and structs nested at most 32 deep each, dict entries
/// only as array elements with a basic key (D-Bus Specification 0.41 §Valid Signatures).
/// </summary>
public readonly record struct DBusSignature
{
    private readonly string? _value;

    public DBusSignature(string value)
    {
        Validate(value);
        _value = value;
    }

    public static DBusSignature Empty { get; } = new(string.Empty);

    public string Value => _value ?? string.Empty;

    /// <summary>The single complete types this signature consists of, in order ("sa{sv}i" → s, a{sv}, i).</summary>
    public IReadOnlyList<string> CompleteTypes
    {
        get
        {
            var types = new List<string>();
            for (var i = 0; i < Value.Length;)
            {
                var end = CompleteTypeEnd(Value, i);
                types.Add(Value[i..end]);
                i = end;
            }

            return types;
        }
    }

    public override string ToString() => Value;

    public static implicit operator DBusSignature(string value) => new(value);

    public static bool IsBasic(char code) => "ybnqiuxtdsogh".Contains(code, StringComparison.Ordinal);

    /// <summary>The alignment of a type's marshalled form (§Marshaling, the alignment table).</summary>
    public static int Alignment(char code) => code switch
    {
        'y' or 'g' or 'v' => 1,
        'n' or 'q' => 2,
        'b' or 'i' or 'u' or 's' or 'o' or 'h' or 'a' => 4,
        'x' or 't' or 'd' or '(' or '{' => 8,
        _ => throw new DBusProtocolException($"'{UntrustedText.Escape(code.ToString())}' is not a D-Bus type code."),
    };

    /// <summary>Throws <see cref="DBusProtocolException"/> unless <paramref name="signature"/> is valid.</summary>
    public static void Validate(string signature)
    {
        if (signature.Length > DBusLimits.MaxSignatureLength)
        {
            throw Invalid(signature, $"it is {signature.Length} bytes long, more than {DBusLimits.MaxSignatureLength}");
        }

        for (var i = 0; i < signature.Length;)
        {
            i = ValidateCompleteType(signature, i, 0, 0);
        }
    }

    /// <summary>True when <paramref name="signature"/> is exactly one complete type (as a variant's signature must be).</summary>
    public static bool IsSingleCompleteType(string signature)
    {
        try
        {
            Validate(signature);
        }
        catch (DBusProtocolException)
        {
            return false;
        }

        return signature.Length > 0 && CompleteTypeEnd(signature, 0) == signature.Length;
    }

    /// <summary>The index just past the complete type starting at <paramref name="start"/> of an already validated signature.</summary>
    internal static int CompleteTypeEnd(string signature, int start)
    {
        var i = start;
        while (signature[i] == 'a')
        {
            i++;
        }

        if (signature[i] is not ('(' or '{'))
        {
            return i + 1;
        }

        var depth = 0;
        for (; ; i++)
        {
            if (signature[i] is '(' or '{')
            {
                depth++;
            }
            else if (signature[i] is ')' or '}' && --depth == 0)
            {
                return i + 1;
            }
        }
    }

    private static int ValidateCompleteType(string signature, int i, int arrays, int structs)
    {
        if (i >= signature.Length)
        {
            throw Invalid(signature, "it ends inside a container");
        }

        var code = signature[i];
        switch (code)
        {
            case 'a':
                if (++arrays > DBusLimits.MaxArrayDepth)
                {
                    throw Invalid(signature, $"arrays nest more than {DBusLimits.MaxArrayDepth} deep");
                }

                if (i + 1 < signature.Length && signature[i + 1] == '{')
                {
                    return ValidateDictEntry(signature, i + 1, arrays, structs);
                }

                return ValidateCompleteType(signature, i + 1, arrays, structs);
            case '(':
                if (++structs > DBusLimits.MaxStructDepth)
                {
                    throw Invalid(signature, $"structs nest more than {DBusLimits.MaxStructDepth} deep");
                }

                i++;
                if (i < signature.Length && signature[i] == ')')
                {
                    throw Invalid(signature, "it has an empty struct");
                }

                while (i < signature.Length && signature[i] != ')')
                {
                    i = ValidateCompleteType(signature, i, arrays, structs);
                }

                if (i >= signature.Length)
                {
                    throw Invalid(signature, "a struct is not closed");
                }

                return i + 1;
            case '{':
                throw Invalid(signature, "a dict entry is not an array element");
            case ')' or '}':
                throw Invalid(signature, $"'{code}' closes nothing");
            case 'v':
                return i + 1;
            default:
                if (!IsBasic(code))
                {
                    throw Invalid(signature, $"'{UntrustedText.Escape(code.ToString())}' is not a type code");
                }

                return i + 1;
        }
    }

    private static int ValidateDictEntry(string signature, int i, int arrays, int structs)
    {
        if (++structs > DBusLimits.MaxStructDepth)
        {
            throw Invalid(signature, $"structs nest more than {DBusLimits.MaxStructDepth} deep");
        }

        i++;
        if (i >= signature.Length || !IsBasic(signature[i]))
        {
            throw Invalid(signature, "a dict entry key is not a basic type");
        }

        i = ValidateCompleteType(signature, i + 1, arrays, structs);
        if (i >= signature.Length || signature[i] != '}')
        {
            throw Invalid(signature, "a dict entry does not hold exactly two types");
        }

        return i + 1;
    }

    private static DBusProtocolException Invalid(string signature, string why) =>
        new($"D-Bus signature '{UntrustedText.Escape(signature)}' is invalid: {why}.");
}
