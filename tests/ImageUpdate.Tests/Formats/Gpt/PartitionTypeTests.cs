using ImageUpdate.Formats.Gpt;

namespace ImageUpdate.Tests.Formats.Gpt;

public sealed class PartitionTypeTests
{
    [Theory]
    [InlineData("root-x86-64", "4f68bce3-e8cd-4db1-96e7-fbcaf984b709")]
    [InlineData("root-x86-64-verity", "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5")]
    [InlineData("root-x86-64-verity-sig", "41092b05-9fc8-4523-994f-2def0408b176")]
    [InlineData("usr-x86-64", "8484680c-9521-48c6-9c11-b0720656f69e")]
    [InlineData("usr-x86-64-verity", "77ff5f63-e7b6-4633-acf4-1565b864c0e6")]
    [InlineData("root-arm64", "b921b045-1df0-41c3-af44-4c6f280d3fae")]
    [InlineData("root-x86", "44479540-f297-41b2-9af7-d131d5f0458a")]
    [InlineData("root-riscv64", "72ec70a6-cf74-40e6-bd49-4bda08e8f224")]
    [InlineData("root-loongarch64", "77055800-792c-4f94-b39a-98c91b762bb6")]
    [InlineData("usr-ia64-verity-sig", "8de58bc2-2a43-460d-b14e-a76e4a17b47f")]
    [InlineData("esp", "c12a7328-f81f-11d2-ba4b-00a0c93ec93b")]
    [InlineData("xbootldr", "bc13c2ff-59e6-4262-a352-b275fd6f7172")]
    [InlineData("swap", "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f")]
    [InlineData("home", "933ac7e1-2eb4-4f13-b844-0e14e2aef915")]
    [InlineData("srv", "3b8f8425-20e0-4f3b-907f-1a25a76f98e8")]
    [InlineData("var", "4d21b016-b534-45c2-a9fb-5c16e091fd2d")]
    [InlineData("tmp", "7ec6f557-3bc5-4aca-b293-16ef5df639d1")]
    [InlineData("user-home", "773f91ef-66d4-49b5-bd83-d683bf40ad16")]
    [InlineData("linux-generic", "0fc63daf-8483-4772-8e79-3d69d8477de4")]
    public void Names_map_to_the_uuids_systemd_uses_and_back(string name, string uuid)
    {
        Assert.True(PartitionType.TryParse(name, out var type));
        Assert.Equal(new Guid(uuid), type);
        Assert.Equal(name, PartitionType.NameOf(type));
    }

    [Theory]
    [InlineData("root", "root-x86-64")]
    [InlineData("root-verity", "root-x86-64-verity")]
    [InlineData("root-verity-sig", "root-x86-64-verity-sig")]
    [InlineData("usr", "usr-x86-64")]
    [InlineData("usr-verity", "usr-x86-64-verity")]
    [InlineData("usr-verity-sig", "usr-x86-64-verity-sig")]
    [InlineData("root-secondary", "root-x86")]
    [InlineData("root-amd64", "root-x86-64")]
    [InlineData("root-x86_64", "root-x86-64")]
    [InlineData("usr-aarch64", "usr-arm64")]
    [InlineData("root-i686-verity", "root-x86-verity")]
    public void Generic_names_and_aliases_resolve_to_the_canonical_type(string alias, string canonical)
    {
        Assert.True(PartitionType.TryParse(alias, out var type));
        Assert.Equal(canonical, PartitionType.NameOf(type));
    }

    [Theory]
    [InlineData("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709")]
    [InlineData("4f68bce3e8cd4db196e7fbcaf984b709")]
    public void Uuids_are_accepted_in_either_case_with_or_without_dashes(string text)
    {
        Assert.True(PartitionType.TryParse(text, out var type));
        Assert.Equal("root-x86-64", PartitionType.NameOf(type));
    }

    [Theory]
    [InlineData("Root")]
    [InlineData("root-x86-64 ")]
    [InlineData("{4f68bce3-e8cd-4db1-96e7-fbcaf984b709}")]
    [InlineData("4f68bce3-e8cd4db1-96e7-fbcaf984b7090")]
    [InlineData("4f68bce3e8cd4db196e7fbcaf984b70")]
    [InlineData("")]
    public void Unknown_names_and_malformed_uuids_are_refused(string text) =>
        Assert.False(PartitionType.TryParse(text, out _));

    [Fact]
    public void An_unknown_uuid_parses_but_has_no_name()
    {
        Assert.True(PartitionType.TryParse("11111111-2222-3333-4444-555555555555", out var type));
        Assert.Null(PartitionType.NameOf(type));
    }

    [Fact]
    public void Every_name_is_unique()
    {
        var names = PartitionType.Names.ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
    }
}
