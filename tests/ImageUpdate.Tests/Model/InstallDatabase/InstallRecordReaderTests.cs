using ImageUpdate.Model.InstallDatabase;

namespace ImageUpdate.Tests.Model.InstallDatabase;

public sealed class InstallRecordReaderTests
{
    private const string Entry = "/var/lib/systemd/sysupdate/installdb/KEY";

    [Fact]
    public void A_record_is_named_by_the_sha256_of_its_target()
    {
        var record = new InstallRecord("/var/lib/machines", "image_@v.raw");

        Assert.Equal("/var/lib/machines/./image_@v.raw", record.Value);
        // printf '%s' /var/lib/machines/./image_@v.raw | sha256sum
        Assert.Equal("8cbee6aa38b98811598118ebbc0eb4c1b7e479e7bfa4312c0b36edc765d1733b", record.Key);
    }

    [Theory]
    [InlineData("/target/./alpha-@v.bin", "/target", "alpha-@v.bin")]
    [InlineData("//./alpha-@v.bin", "/", "alpha-@v.bin")] // 262 joins "/" and "/./" as they come.
    [InlineData("/a/b/./sub/x-@v/y.raw", "/a/b", "sub/x-@v/y.raw")]
    public void A_sound_entry_gives_its_directory_and_pattern(string value, string directory, string pattern)
    {
        var reading = InstallRecordReader.Read(InstallRecord.KeyOf(value), value, Entry);

        Assert.Null(reading.Problem);
        Assert.Equal(new InstallRecord(directory, pattern), reading.Record);
    }

    public static TheoryData<string, string?, string> Hostile => new()
    {
        // value, key (null: the right one), the one line expected
        { "/target/./x-@v", new string('0', 64), $"Invalid hash of install database entry '{Entry}' → '/target/./x-@v', expunging." },
        { "/target/./x-@v", InstallRecord.KeyOf("/target/./x-@v").ToUpperInvariant(), $"Invalid hash of install database entry '{Entry}' → '/target/./x-@v', expunging." },
        { "/target-x-@v", null, $"Malformed install database entry '{Entry}' → '/target-x-@v', expunging." },
        { "target/./x-@v", null, $"Install database path 'target' of entry '{Entry}' → 'target/./x-@v' is invalid, expunging database entry." },
        { "//./../x-@v", null, $"Install database pattern '../x-@v' of entry '{Entry}' → '//./../x-@v' is not a valid pattern, expunging database entry." },
        { "/t/../etc/./x-@v", null, $"Install database path '/t/../etc' of entry '{Entry}' → '/t/../etc/./x-@v' is invalid, expunging database entry." },
        { "/t//u/./x-@v", null, $"Install database path '/t//u' of entry '{Entry}' → '/t//u/./x-@v' is invalid, expunging database entry." },
        { "/t/./u/./x-@v", null, $"Install database pattern 'u/./x-@v' of entry '{Entry}' → '/t/./u/./x-@v' is not a valid pattern, expunging database entry." },
        { "/t/.", null, $"Malformed install database entry '{Entry}' → '/t/.', expunging." },
        { "/./x-@v", null, $"Install database path '' of entry '{Entry}' → '/./x-@v' is invalid, expunging database entry." },
        { "//./etc", null, $"Install database pattern 'etc' of entry '{Entry}' → '//./etc' is not a valid pattern, expunging database entry." },
        { "//./", null, $"Install database pattern '' of entry '{Entry}' → '//./' is not a valid pattern, expunging database entry." },
        { "", null, $"Malformed install database entry '{Entry}' → '', expunging." },
        // Terminal control bytes and newlines never reach the log raw: one line, escaped.
        { "/t\u001b[31m\n/./x-@v", new string('f', 64), $"Invalid hash of install database entry '{Entry}' → '/t\\x1b[31m\\n/./x-@v', expunging." },
        { "/t/./x-@v\u001b]0;pwned\u0007", null, $"Install database pattern 'x-@v\\x1b]0;pwned\\x07' of entry '{Entry}' → '/t/./x-@v\\x1b]0;pwned\\x07' is not a valid pattern, expunging database entry." },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void A_corrupt_or_hostile_entry_is_expunged_with_one_escaped_line(string value, string? key, string expected)
    {
        var reading = InstallRecordReader.Read(key ?? InstallRecord.KeyOf(value), value, Entry);

        Assert.Null(reading.Record);
        Assert.Equal(expected, reading.Problem);
        Assert.DoesNotContain('\n', reading.Problem!);
        Assert.DoesNotContain('\u001b', reading.Problem!);
    }

    [Theory]
    [InlineData("/", true)]
    [InlineData("/a", true)]
    [InlineData("/a/b.c/..d", true)]
    [InlineData("", false)]
    [InlineData("a", false)]
    [InlineData("/a/", false)]
    [InlineData("//a", false)]
    [InlineData("/a/./b", false)]
    [InlineData("/a/..", false)]
    [InlineData("/.", false)]
    public void Paths_must_be_absolute_and_normalized_as_systemd_says(string path, bool valid) =>
        Assert.Equal(valid, InstallRecordReader.IsAbsoluteNormalized(path));
}
