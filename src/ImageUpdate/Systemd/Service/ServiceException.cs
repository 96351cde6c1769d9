using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Systemd.Service;

/// <summary>`serve` cannot run: the bus name is taken, or the bus went away.</summary>
public sealed class ServiceException : ImageUpdateException
{
    public ServiceException(string message) : base(message) { }

    public ServiceException(string message, Exception inner) : base(message, inner) { }
}
