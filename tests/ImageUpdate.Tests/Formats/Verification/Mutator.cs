namespace ImageUpdate.Tests.Formats.Verification;

/// <summary>
/// Seeded byte mutations for fuzzing parsers: flips, insertions and deletions of single bytes, with a
/// bias towards bytes that matter to the formats under test (separators, length-ish values, high bits).
/// </summary>
internal sealed class Mutator(int seed)
{
    private static readonly byte[] Interesting = [0x00, 0x01, 0x0a, 0x0d, 0x20, 0x2a, 0x2f, 0x2e, 0x5c, 0x3d, 0x7f, 0x80, 0xbf, 0xc0, 0xdf, 0xe0, 0xfe, 0xff];

    private readonly Random _random = new(seed);

    public byte[] Mutate(byte[] input)
    {
        var bytes = new List<byte>(input);
        var count = 1 + _random.Next(4);
        for (var i = 0; i < count; i++)
        {
            var at = bytes.Count == 0 ? 0 : _random.Next(bytes.Count);
            switch (_random.Next(7))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] = Interesting[_random.Next(Interesting.Length)];
                    break;
                case 2 when bytes.Count > 0:
                    bytes[at] = (byte)_random.Next(256);
                    break;
                case 3:
                    bytes.Insert(at, Interesting[_random.Next(Interesting.Length)]);
                    break;
                case 4 when bytes.Count > 0:
                    bytes.RemoveAt(at);
                    break;
                case 5 when bytes.Count > 0:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 6 when bytes.Count > 1:
                    var length = _random.Next(1, Math.Min(16, bytes.Count - at) + 1);
                    bytes.InsertRange(_random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
            }
        }

        return [.. bytes];
    }
}
