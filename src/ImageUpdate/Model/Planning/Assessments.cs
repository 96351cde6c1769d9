namespace ImageUpdate.Model.Planning;

/// <summary>
/// The words `list` prints for an update set. "candidate" follows upstream main: only the set
/// `update` would install is called that (257 also called the newest available set a candidate when
/// a newer version was already installed). systemd spells them with a table of flag combinations;
/// the same words come out of composing a base word with suffixes, which also covers combinations the
/// table leaves out (an older set with a leftover pending copy) instead of failing on them.
/// </summary>
public static class Assessments
{
    public static string Describe(UpdateSetFlags flags)
    {
        if (flags == UpdateSetFlags.None)
        {
            return "n/a";
        }

        var installed = flags.HasFlag(UpdateSetFlags.Installed);
        var newest = flags.HasFlag(UpdateSetFlags.Newest);
        var obsolete = flags.HasFlag(UpdateSetFlags.Obsolete);

        if (!installed)
        {
            if (obsolete)
            {
                return "available+obsolete";
            }

            if (flags.HasFlag(UpdateSetFlags.TooNew))
            {
                return "available+too-new";
            }

            return flags.HasFlag(UpdateSetFlags.Candidate) ? "candidate" : "available";
        }

        var word = flags.HasFlag(UpdateSetFlags.Bad) ? "bad" : newest ? "current" : flags.HasFlag(UpdateSetFlags.Protected) ? "protected" : "installed";
        if (flags.HasFlag(UpdateSetFlags.Partial))
        {
            word += "+partial";
        }
        else if (flags.HasFlag(UpdateSetFlags.Pending))
        {
            word += "+pending";
        }

        if (obsolete)
        {
            word += "+obsolete";
        }

        if (flags.HasFlag(UpdateSetFlags.TooNew))
        {
            word += "+too-new";
        }

        if (flags.HasFlag(UpdateSetFlags.Incomplete))
        {
            word += "+incomplete";
        }

        return word;
    }
}
