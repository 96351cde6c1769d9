using ImageUpdate.Formats.Gpt;

namespace ImageUpdate.Tests.Formats.Gpt;

public sealed class PartitionStatesTests
{
    [Fact]
    public void AppSpecific_matches_the_vector_in_systemds_own_test()
    {
        // src/libsystemd/sd-id128/test-id128.c: "systemd-id128 -a f03daaeb1c334b43a732172944bf772e show
        // 51df0b4bc3b04c9780e299b98ca373b8" gives 1dee5954-e75c-4d6f-b96c-c6c04ca18a86.
        var id = PartitionStates.AppSpecific(new Guid("51df0b4b-c3b0-4c97-80e2-99b98ca373b8"), new Guid("f03daaeb-1c33-4b43-a732-172944bf772e"));
        Assert.Equal(new Guid("1dee5954-e75c-4d6f-b96c-c6c04ca18a86"), id);
    }

    // Computed with python3 (hmac, hashlib, uuid), the same recipe that reproduces systemd's vector above:
    //   m = bytearray(hmac.new(UUID(type).bytes, UUID(app).bytes, hashlib.sha256).digest()[:16])
    //   m[6] = m[6] & 0x0F | 0x40; m[8] = m[8] & 0x3F | 0x80; str(UUID(bytes=bytes(m)))
    [Theory]
    [InlineData("4f68bce3-e8cd-4db1-96e7-fbcaf984b709", "7a01d3c6-92ac-43e9-bd77-5726b602ad9d", "64362e66-88a7-463b-b325-7af60c81be06")] // root-x86-64
    [InlineData("2c7357ed-ebd2-46d9-aec1-23d437ec2bf5", "8c9d831f-549b-4672-8816-6c435759bb75", "a0527bff-640d-406c-93e1-3059b3853391")] // root-x86-64-verity
    [InlineData("0fc63daf-8483-4772-8e79-3d69d8477de4", "43456f75-4ab1-4a42-844a-3c2e640cb525", "5b60f346-140d-4a1b-8086-dc4a4097bd3c")] // linux-generic
    public void Partial_and_pending_types_are_derived_as_systemd_derives_them(string type, string partial, string pending)
    {
        Assert.Equal(new Guid(partial), PartitionStates.PartialTypeFor(new Guid(type)));
        Assert.Equal(new Guid(pending), PartitionStates.PendingTypeFor(new Guid(type)));
    }

    [Fact]
    public void Derived_types_agree_with_python_for_arbitrary_types()
    {
        GptTools.Require("python3");

        var random = new Random(20240601);
        var types = Enumerable.Range(0, 8).Select(_ => { var b = new byte[16]; random.NextBytes(b); return new Guid(b); }).ToArray();
        var script = "import hmac,hashlib,uuid,sys\n"
            + "for line in sys.stdin.read().split():\n"
            + "  t,a=line.split(',')\n"
            + "  m=bytearray(hmac.new(uuid.UUID(t).bytes,uuid.UUID(a).bytes,hashlib.sha256).digest()[:16])\n"
            + "  m[6]=m[6]&0x0F|0x40; m[8]=m[8]&0x3F|0x80\n"
            + "  print(uuid.UUID(bytes=bytes(m)))\n";
        var input = string.Join('\n', types.Select(t => $"{t},{PartitionStates.PartialAppId}"));
        var expected = GptTools.Run("python3", ["-c", script], input).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expected.Select(Guid.Parse), types.Select(PartitionStates.PartialTypeFor));
    }

    [Fact]
    public void Derived_types_are_version_4_rfc_4122_uuids()
    {
        var id = PartitionStates.PendingTypeFor(new Guid("4f68bce3-e8cd-4db1-96e7-fbcaf984b709")).ToString();
        Assert.Equal('4', id[14]);
        Assert.Contains(id[19], "89ab");
    }
}
