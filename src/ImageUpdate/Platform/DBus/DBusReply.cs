namespace ImageUpdate.Platform.DBus;

/// <summary>The outcome of an exported method: a return with a body, or an error name and message.</summary>
public sealed record DBusReply
{
    private DBusReply(DBusSignature signature, IReadOnlyList<object> body, string? errorName, string? errorMessage)
    {
        Signature = signature;
        Body = body;
        ErrorName = errorName;
        ErrorMessage = errorMessage;
    }

    public static DBusReply Empty { get; } = new(DBusSignature.Empty, [], null, null);

    public DBusSignature Signature { get; }

    public IReadOnlyList<object> Body { get; }

    /// <summary>Set for an error reply.</summary>
    public string? ErrorName { get; }

    public string? ErrorMessage { get; }

    /// <summary>A return; the body is a list (not params) so that a lone array value is not taken for the whole body.</summary>
    public static DBusReply Return(DBusSignature signature, IReadOnlyList<object> body) => new(signature, body, null, null);

    public static DBusReply Error(string errorName, string message) => new(DBusSignature.Empty, [], DBusNames.CheckErrorName(errorName), message);
}
