using ImageUpdate.Foundation.Errors;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Model.Definitions;

/// <summary>
/// Where the loader reports what systemd logs and ignores: to the logger, to the list the
/// <see cref="DefinitionSet"/> carries, or, when warnings are errors, as a <see cref="ConfigurationException"/>
/// (unknown names, adjusted values and informational keys stay warnings even then: newer definitions
/// still load, and a bad AppStream= URL changes nothing that is written or trusted).
/// </summary>
internal sealed class DefinitionDiagnostics(ILogger logger, bool warningsAreErrors)
{
    private readonly List<ConfigurationWarning> _warnings = [];

    public IReadOnlyList<ConfigurationWarning> Warnings => _warnings;

    public void Warn(ConfigurationWarning warning)
    {
        if (warningsAreErrors && warning.Kind == WarningKind.InvalidValue)
        {
            throw new ConfigurationException(warning.File, warning.Line, warning.Key, warning.Message);
        }

        _warnings.Add(warning);
        logger.LogWarning("{Warning}", warning.ToString());
    }

    /// <summary>Kept in <see cref="Warnings"/> but logged only at debug level: a caller decides whether and when to say it.</summary>
    public void Record(ConfigurationWarning warning)
    {
        _warnings.Add(warning);
        logger.LogDebug("{Warning}", warning.ToString());
    }

    public void Warn(string file, int line, string? key, string message, WarningKind kind = WarningKind.InvalidValue) =>
        Warn(new ConfigurationWarning(file, line, key, message, kind));

    public void Info(string message) => logger.LogInformation("{Message}", message);
}
