namespace ImageUpdate.Formats.Gpt;

/// <summary>
/// CRC-32 as UEFI 2.10 §5.3.2 uses for the GPT header and entry array: the IEEE 802.3 polynomial in
/// reflected form (0xEDB88320), initial value and final XOR 0xFFFFFFFF — the same function as zlib's
/// crc32. Table-driven, one byte at a time: GPT checksums cover at most a few KiB.
/// </summary>
internal static class Crc32
{
    private const uint ReflectedPolynomial = 0xEDB88320;
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(uint.MaxValue, data);

    /// <summary>Continues a running (not yet inverted) CRC register over more bytes.</summary>
    public static uint Append(uint register, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            register = Table[(register ^ b) & 0xFF] ^ (register >> 8);
        }

        return register;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < table.Length; i++)
        {
            var value = i;
            for (var bit = 0; bit < 8; bit++)
            {
                value = (value & 1) != 0 ? (value >> 1) ^ ReflectedPolynomial : value >> 1;
            }

            table[i] = value;
        }

        return table;
    }
}
