using ImageUpdate.Formats.Versions;
using ImageUpdate.Model.Host;

namespace ImageUpdate.Model.Conditions;

/// <summary>
/// Evaluates SuggestOn*= lists as systemd 262's condition_test_list does: every non-trigger condition
/// must hold and, if there are triggers, at least one of them. A test that cannot be carried out (an
/// unreadable fraction or operator expression, no machine ID, a malformed smbios-field()) makes the
/// whole answer an error (null), negated or not, which 262 shows as "-" and "error (Invalid
/// argument)" and skips in -s/-S. The list is tested last assignment first, as 262 prepends each
/// condition to its list, so the first error or failed plain condition in that order decides.
/// </summary>
public static class ConditionEvaluator
{
    /// <summary>systemd's architecture names (src/basic/architecture.c).</summary>
    private static readonly HashSet<string> Architectures = new(StringComparer.Ordinal)
    {
        "x86", "x86-64", "ppc", "ppc-le", "ppc64", "ppc64-le", "ia64", "parisc", "parisc64", "s390", "s390x",
        "sparc", "sparc64", "mips", "mips-le", "mips64", "mips64-le", "alpha", "arm", "arm-be", "arm64", "arm64-be",
        "sh", "sh64", "m68k", "tilegx", "cris", "nios2", "riscv32", "riscv64", "arc", "arc-be", "loongarch64",
    };

    public static bool? Evaluate(IReadOnlyList<Condition> conditions, SystemFacts facts)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        ArgumentNullException.ThrowIfNull(facts);
        bool? triggered = null;
        for (var i = conditions.Count - 1; i >= 0; i--)
        {
            var condition = conditions[i];
            if (Test(condition, facts) is not { } result)
            {
                return null;
            }

            if (!condition.Trigger && !result)
            {
                return false;
            }

            if (condition.Trigger && triggered != true)
            {
                triggered = result;
            }
        }

        return triggered != false;
    }

    /// <summary>One condition, negation applied; null when the test itself cannot be carried out.</summary>
    public static bool? Test(Condition condition, SystemFacts facts)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(facts);
        return Raw(condition, facts) is { } value ? value != condition.Negate : null;
    }

    // The test before negation; null is systemd's negative errno.
    private static bool? Raw(Condition c, SystemFacts facts) => c.Kind switch
    {
        ConditionKind.Architecture => Architecture(c.Parameter, facts),
        ConditionKind.Firmware => Firmware(c.Parameter, facts),
        ConditionKind.Virtualization => Virtualization(c.Parameter, facts),
        ConditionKind.Host => Host(c.Parameter, facts),
        ConditionKind.Fraction => Fraction(c.Parameter, facts.MachineId),
        ConditionKind.KernelCommandLine => KernelCommandLine(c.Parameter, facts.KernelCommandLine),
        ConditionKind.Version => Version(c.Parameter, facts),
        ConditionKind.Credential => Credential(c.Parameter, facts),
        ConditionKind.Security => facts.Security.Contains(c.Parameter),
        ConditionKind.OSRelease => OsRelease(c.Parameter, facts.OsRelease),
        ConditionKind.MachineTag => MachineTag(c.Parameter, facts.MachineTags),
        _ => null,
    };

    // An architecture 262 does not know does not hold (it is no error there).
    private static bool Architecture(string parameter, SystemFacts facts) =>
        parameter == "native" || (Architectures.Contains(parameter) && parameter == facts.Architecture);

    // uefi, device-tree, device-tree-compatible(X); smbios-field(NAME OP VALUE) is not read by
    // image-update and does not hold (a malformed one is an error, as in 262); anything else does not hold.
    private static bool? Firmware(string parameter, SystemFacts facts)
    {
        const string Smbios = "smbios-field(";
        if (parameter.StartsWith(Smbios, StringComparison.Ordinal))
        {
            var inner = parameter.EndsWith(')') ? parameter[Smbios.Length..^1] : "";
            var name = inner.AsSpan().IndexOfAny("!<=>$");
            if (name <= 0 || CompareOperator.Parse(inner[name..], allowFnmatch: true, equalByString: true).Operator is null)
            {
                return null;
            }

            return false;
        }

        if (parameter == "uefi")
        {
            return facts.Uefi;
        }

        if (parameter == "device-tree")
        {
            return facts.DeviceTreeCompatible is not null;
        }

        const string Compatible = "device-tree-compatible(";
        if (parameter.StartsWith(Compatible, StringComparison.Ordinal) && parameter.EndsWith(')'))
        {
            var wanted = parameter[Compatible.Length..^1];
            return facts.DeviceTreeCompatible?.Contains(wanted, StringComparer.Ordinal) == true;
        }

        return false;
    }

    private static bool Virtualization(string parameter, SystemFacts facts)
    {
        var virtualized = facts.VirtualizationKind != VirtualizationKind.None;
        if (SystemdBoolean.TryParse(parameter, out var wanted))
        {
            if (virtualized == wanted)
            {
                return true;
            }
        }

        if (facts.VirtualizationKind == VirtualizationKind.VirtualMachine && parameter == "vm")
        {
            return true;
        }

        if (facts.VirtualizationKind == VirtualizationKind.Container && parameter == "container")
        {
            return true;
        }

        return virtualized && parameter == facts.Virtualization;
    }

    private static bool? Host(string parameter, SystemFacts facts)
    {
        if (TryParseId128(parameter) is { } id)
        {
            return facts.MachineId is null ? null : id.AsSpan().SequenceEqual(facts.MachineId);
        }

        return FnMatch.IsMatch(parameter, facts.Hostname, caseFold: true);
    }

    /// <summary>
    /// ConditionFraction= (systemd 261): "[TAG] PERCENT". The machine's point in [0, 2^32) is the first
    /// four bytes, little-endian, of HMAC-SHA256 keyed with the 16 machine-ID bytes over
    /// "systemd-fraction-TAG"; it holds below PERCENT scaled to 2^32-1 (rounded to nearest), so the
    /// same machine lands on the same side of every threshold and tags give independent subsets.
    /// 0% holds nowhere and 100% everywhere, even without a machine ID.
    /// </summary>
    public static bool? Fraction(string parameter, byte[]? machineId)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        var words = parameter.Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length is 0 or > 2 || SystemdPermyriad.Parse(words[^1]) is not { } permyriad)
        {
            return null;
        }

        if (permyriad == 0)
        {
            return false;
        }

        if (permyriad >= SystemdPermyriad.Whole)
        {
            return true;
        }

        if (machineId is not { Length: 16 })
        {
            return null;
        }

        var tag = words.Length == 2 ? words[0] : "";
        return FractionPoint(machineId, tag) < SystemdPermyriad.ScaleToUInt32(permyriad);
    }

    /// <summary>The machine's point for a fraction tag (see <see cref="Fraction"/>).</summary>
    public static uint FractionPoint(byte[] machineId, string tag)
    {
        ArgumentNullException.ThrowIfNull(machineId);
        ArgumentNullException.ThrowIfNull(tag);
        var digest = System.Security.Cryptography.HMACSHA256.HashData(machineId, System.Text.Encoding.UTF8.GetBytes("systemd-fraction-" + tag));
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(digest);
    }

    // A word with '=' must appear as it is; a bare key matches "key" and "key=anything".
    private static bool KernelCommandLine(string parameter, string commandLine)
    {
        var equal = parameter.Contains('=');
        foreach (var word in SplitQuoted(commandLine))
        {
            if (equal ? word == parameter
                : word.StartsWith(parameter, StringComparison.Ordinal) && (word.Length == parameter.Length || word[parameter.Length] == '='))
            {
                return true;
            }
        }

        return false;
    }

    // "systemd OP V", "glibc OP V", else the kernel release:
    // each word "OP VERSION" must hold, a word without an operator is a glob.
    private static bool? Version(string parameter, SystemFacts facts)
    {
        var p = parameter.TrimStart();
        string subject;
        if (p.StartsWith("systemd", StringComparison.Ordinal))
        {
            subject = facts.SystemdVersion;
            p = p["systemd".Length..];
        }
        else if (p.StartsWith("glibc", StringComparison.Ordinal))
        {
            if (facts.GlibcVersion is not { } glibc)
            {
                return null;
            }

            subject = glibc;
            p = p["glibc".Length..];
        }
        else
        {
            subject = facts.KernelRelease;
            if (p.StartsWith("kernel", StringComparison.OrdinalIgnoreCase))
            {
                p = p["kernel".Length..];
            }
        }

        var words = new Queue<string>(SplitQuoted(p));
        if (words.Count == 0)
        {
            return null;
        }

        while (words.TryDequeue(out var word))
        {
            var (op, rest) = CompareOperator.Parse(word, allowFnmatch: true, equalByString: false);
            if (op is null)
            {
                if (!FnMatch.IsMatch(word, subject))
                {
                    return false;
                }

                continue;
            }

            if (rest.Length == 0 && !words.TryDequeue(out rest))
            {
                return null;
            }

            if (!CompareOperator.Holds(op.Value, subject, rest))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Credential(string name, SystemFacts facts)
    {
        if (name.Length is 0 or > 255 || name is "." or ".." || name.Contains('/'))
        {
            return false;
        }

        return facts.CredentialDirectories.Any(d => File.Exists(Path.Combine(d, name)));
    }

    // Each word KEY OP VALUE must hold; = and != compare strings, $= and !$= glob, the others order
    // versions. A missing field is the empty string.
    private static bool? OsRelease(string parameter, IReadOnlyDictionary<string, string> fields)
    {
        var words = SplitQuoted(parameter).ToList();
        if (words.Count == 0)
        {
            return null;
        }

        foreach (var word in words)
        {
            var keyLength = word.AsSpan().IndexOfAny("!<=>$");
            if (keyLength <= 0)
            {
                return null;
            }

            var (op, value) = CompareOperator.Parse(word[keyLength..], allowFnmatch: true, equalByString: true);
            if (op is null || value.Length == 0 || char.IsWhiteSpace(value[0]))
            {
                return null;
            }

            var actual = fields.TryGetValue(word[..keyLength], out var v) ? v : "";
            if (!CompareOperator.Holds(op.Value, actual, value))
            {
                return false;
            }
        }

        return true;
    }

    private static bool MachineTag(string pattern, string? tags) =>
        MachineTagList.Parse(tags).Any(tag => FnMatch.IsMatch(pattern, tag));

    /// <summary>32 hex digits or the UUID form, as sd_id128_from_string reads a machine ID.</summary>
    public static byte[]? TryParseId128(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var hex = text.Length == 36 && text[8] == '-' && text[13] == '-' && text[18] == '-' && text[23] == '-'
            ? text.Replace("-", "", StringComparison.Ordinal)
            : text;
        return hex.Length == 32 && hex.All(char.IsAsciiHexDigit) ? Convert.FromHexString(hex) : null;
    }

    // extract_first_word with EXTRACT_UNQUOTE|EXTRACT_RELAX: whitespace separates, quotes group.
    private static IEnumerable<string> SplitQuoted(string text)
    {
        var word = new System.Text.StringBuilder();
        var inWord = false;
        char quote = '\0';
        foreach (var ch in text)
        {
            if (quote != '\0')
            {
                if (ch == quote)
                {
                    quote = '\0';
                }
                else
                {
                    word.Append(ch);
                }
            }
            else if (ch is '"' or '\'')
            {
                quote = ch;
                inWord = true;
            }
            else if (char.IsWhiteSpace(ch))
            {
                if (inWord)
                {
                    yield return word.ToString();
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                word.Append(ch);
                inWord = true;
            }
        }

        if (inWord)
        {
            yield return word.ToString();
        }
    }
}
