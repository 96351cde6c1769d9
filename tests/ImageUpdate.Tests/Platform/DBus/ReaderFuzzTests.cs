using ImageUpdate.Platform.DBus;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>
/// Seeded mutations of valid messages (both byte orders, every type) fed to the reader: the only
/// acceptable outcomes are a decoded message or a DBusProtocolException, and all of it in bounded time.
/// </summary>
public sealed class ReaderFuzzTests
{
    private const int Iterations = 20_000;

    private static IEnumerable<DBusMessage> Seeds()
    {
        yield return DBusMessage.MethodCall("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello");
        yield return DBusMessage.MethodCall("org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager", "Inhibit", "ssss", ["shutdown:sleep", "image-update", "Writing an update", "block"]);
        yield return DBusMessage.Signal("/a/b", "org.example.X", "Changed", "sa{sv}as", ["org.example.X", new Dictionary<string, Variant>
        {
            ["Progress"] = new Variant("u", 42u),
            ["Name"] = new Variant("s", "ü"),
            ["Nested"] = new Variant("v", new Variant("ai", new[] { 1, 2, 3 })),
        }, new[] { "Gone" }]);
        yield return new DBusMessage
        {
            Type = MessageType.MethodReturn,
            ReplySerial = 7,
            Destination = ":1.5",
            Sender = "org.freedesktop.systemd1",
            Signature = "a(ssssssouso)ybnqiuxtdg",
            Body =
            [
                new[] { new object[] { "a.service", "A", "loaded", "failed", "failed", "", new ObjectPath("/org/freedesktop/systemd1/unit/a"), 0u, "", new ObjectPath("/") } },
                (byte)1, true, (short)-3, (ushort)4, -5, 6u, -7L, 8UL, 9.5, new DBusSignature("a{oa{sv}}"),
            ],
        };
        yield return new DBusMessage
        {
            Type = MessageType.Error,
            ReplySerial = 3,
            ErrorName = "org.freedesktop.DBus.Error.AccessDenied",
            Signature = "s(ay(xt))",
            Body = ["denied", new object[] { new byte[] { 1, 2, 3 }, new object[] { 1L, 2UL } }],
        };
    }

    [Fact]
    public void Mutated_messages_decode_or_fail_with_protocol_errors_only()
    {
        var seeds = Seeds()
            .SelectMany(m => new[] { false, true }.Select(big => (m with { Serial = 9 }).Encode(big).Bytes))
            .ToArray();
        foreach (var seed in seeds)
        {
            DBusMessage.Decode(seed);
        }

        var random = new Random(20261122);
        var decoded = 0;
        var budget = new AllocationBudget(64L << 20);
        for (var i = 0; i < Iterations; i++)
        {
            var bytes = Mutate(random, seeds[random.Next(seeds.Length)]);
            try
            {
                budget.Measure(() =>
                {
                    DBusMessage.GetTotalLength(bytes);
                    DBusMessage.Decode(bytes);
                });
                decoded++;
            }
            catch (DBusProtocolException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"Iteration {i} ({Convert.ToHexString(bytes)}) threw {e}");
            }
        }

        budget.AssertWithin();
        // Mutations of padding-free spots leave valid messages; some must get through or the fuzzing only tests the first check.
        Assert.InRange(decoded, 1, Iterations - 1);
    }

    [Fact]
    public void Random_bytes_read_as_every_signature_fail_with_protocol_errors_only()
    {
        var random = new Random(7);
        string[] types = ["y", "b", "n", "q", "i", "u", "x", "t", "d", "s", "o", "g", "h", "v", "ai", "as", "a{sv}", "(ysv)", "aav", "a(oa{sv})"];
        var data = new byte[64];
        for (var i = 0; i < Iterations; i++)
        {
            random.NextBytes(data);
            // Small lengths reach deeper than random 32-bit ones.
            if (random.Next(2) == 0)
            {
                data[0] = (byte)random.Next(16);
                data[1] = data[2] = data[3] = 0;
            }

            var reader = new MessageReader(data.AsMemory(0, random.Next(data.Length)), random.Next(2) == 0);
            try
            {
                reader.ReadValue(types[random.Next(types.Length)]);
            }
            catch (DBusProtocolException)
            {
            }
        }
    }

    private static byte[] Mutate(Random random, byte[] seed)
    {
        var bytes = seed.ToList();
        var count = random.Next(1, 4);
        for (var m = 0; m < count; m++)
        {
            switch (random.Next(6))
            {
                case 0: // flip a bit in place: lengths stay consistent, content changes
                case 1:
                    var at = random.Next(bytes.Count);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 2: // a random byte in place
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                    break;
                case 3: // a length-like field set to something extreme
                    var offset = random.Next(bytes.Count - 4) & ~3;
                    var value = random.Next(3) switch { 0 => 0xffffffffu, 1 => 0x04000001u, _ => (uint)random.Next(64) };
                    bytes[offset] = (byte)value;
                    bytes[offset + 1] = (byte)(value >> 8);
                    bytes[offset + 2] = (byte)(value >> 16);
                    bytes[offset + 3] = (byte)(value >> 24);
                    break;
                case 4: // truncate
                    bytes.RemoveRange(random.Next(bytes.Count), 1);
                    break;
                default: // insert
                    bytes.Insert(random.Next(bytes.Count), (byte)random.Next(256));
                    break;
            }
        }

        return bytes.ToArray();
    }
}
