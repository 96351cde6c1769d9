using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.FileSystem;

namespace ImageUpdate.Tests.Platform.FileSystem;

/// <summary>
/// <see cref="FreeSpace"/>: the room statfs reports, and the refusal that names the directory and
/// both numbers in one line (a UKI that does not fit on the ESP is refused before its first byte).
/// </summary>
public sealed class FreeSpaceTests : IDisposable
{
    private readonly Support.TempDirectory _dir = new("freespace");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Reports_what_df_reports()
    {
        var available = FreeSpace.Available(_dir.Path);
        var df = Support.TestProcess.Run("df", ["--output=avail", "-B1", _dir.Path]);

        Assert.NotNull(available);
        var dfAvailable = long.Parse(df.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);

        // Another writer may change it between the two calls; a few MiB of slack is plenty.
        Assert.InRange(available!.Value, dfAvailable - (16 << 20), dfAvailable + (16 << 20));
    }

    [Fact]
    public void Nothing_there_is_no_answer_rather_than_a_guess() =>
        Assert.Null(FreeSpace.Available(_dir["missing/deeper"]));

    [Fact]
    public void A_size_that_fits_passes() => FreeSpace.Require(_dir.Path, 1, "'payload'");

    [Fact]
    public void A_size_that_does_not_fit_is_refused_with_both_numbers()
    {
        var e = Assert.Throws<UpdateException>(() => FreeSpace.Require(_dir.Path, long.MaxValue, "'uki_2.efi'"));

        Assert.Matches(
            $@"^Not enough free space in '{System.Text.RegularExpressions.Regex.Escape(_dir.Path)}' for 'uki_2\.efi': {long.MaxValue} bytes needed, \d+ bytes available, refusing\.$",
            e.Message);
    }

    [Fact]
    public void A_directory_name_is_escaped_in_the_refusal()
    {
        var odd = Directory.CreateDirectory(_dir["odd\u001bname"]).FullName;

        var e = Assert.Throws<UpdateException>(() => FreeSpace.Require(odd, long.MaxValue, "'x'"));

        Assert.DoesNotContain('\u001b', e.Message);
        Assert.Contains("odd\\x1bname", e.Message, StringComparison.Ordinal);
    }
}
