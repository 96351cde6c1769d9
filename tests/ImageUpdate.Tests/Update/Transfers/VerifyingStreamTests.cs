using System.Security.Cryptography;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Update.Transfers;

namespace ImageUpdate.Tests.Update.Transfers;

public sealed class VerifyingStreamTests
{
    private static readonly byte[] Data = RandomNumberGenerator.GetBytes(300_000);

    [Fact]
    public async Task Matching_bytes_read_to_the_end()
    {
        await using var stream = new VerifyingStream(new MemoryStream(Data), Convert.ToHexString(SHA256.HashData(Data)), "x");
        var copy = new MemoryStream();

        await stream.CopyToAsync(copy);

        Assert.Equal(Data, copy.ToArray());
        Assert.Equal(Data.Length, stream.BytesRead);
    }

    [Fact]
    public async Task A_single_changed_byte_fails_the_last_read_naming_both_hashes()
    {
        var tampered = (byte[])Data.Clone();
        tampered[123_456] ^= 1;
        await using var stream = new VerifyingStream(new MemoryStream(tampered), Convert.ToHexString(SHA256.HashData(Data)), "https://example.org/\u001b[31mroot");

        var error = await Assert.ThrowsAsync<VerificationException>(() => stream.CopyToAsync(Stream.Null));

        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(Data)), error.Message);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(tampered)), error.Message);
        Assert.DoesNotContain("\u001b", error.Message);
    }

    [Fact]
    public async Task A_zero_length_read_mid_stream_is_not_the_end()
    {
        // TarReader asks for zero bytes between entries; that must not check the hash early.
        await using var stream = new VerifyingStream(new MemoryStream(Data), Convert.ToHexString(SHA256.HashData(Data)), "x");
        var buffer = new byte[1000];
        Assert.Equal(1000, stream.Read(buffer));
        Assert.Equal(0, stream.Read(Span<byte>.Empty));
        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty));
        await stream.CopyToAsync(Stream.Null);
        Assert.Equal(Data.Length, stream.BytesRead);
    }

    [Fact]
    public void A_truncated_payload_fails_too()
    {
        using var stream = new VerifyingStream(new MemoryStream(Data[..1000]), Convert.ToHexString(SHA256.HashData(Data)), "x");

        Assert.Throws<VerificationException>(() => stream.CopyTo(Stream.Null));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Deferred_hashing_gives_the_verdict_to_the_digest_that_saw_every_byte(bool tampered)
    {
        var bytes = (byte[])Data.Clone();
        bytes[^1] ^= (byte)(tampered ? 1 : 0);
        await using var stream = new VerifyingStream(new MemoryStream(bytes), Convert.ToHexString(SHA256.HashData(Data)), "x");

        // A format probe reads the head before the hand-over; the digest gets it replayed, then the rest.
        var head = new byte[6];
        stream.ReadExactly(head);
        var digest = stream.DeferHashing()!;
        var rest = new MemoryStream();
        await stream.CopyToAsync(rest); // the end is read and nothing is checked by the stream itself
        digest.Append(head);
        digest.Append(rest.ToArray());

        if (tampered)
        {
            Assert.Throws<VerificationException>(digest.Complete);
        }
        else
        {
            digest.Complete();
        }

        Assert.Throws<InvalidOperationException>(digest.Complete);
    }

    [Fact]
    public async Task A_digest_that_missed_bytes_fails_even_when_its_hash_would_match()
    {
        // The digest saw only the first half, whose hash is the listed one, but the stream read more.
        var half = Data[..150_000];
        await using var stream = new VerifyingStream(new MemoryStream(Data), Convert.ToHexString(SHA256.HashData(half)), "x");
        var digest = stream.DeferHashing()!;
        await stream.CopyToAsync(Stream.Null);
        digest.Append(half);

        Assert.Throws<VerificationException>(digest.Complete);
    }

    [Fact]
    public void A_deferred_digest_gives_no_verdict_before_the_end_was_read()
    {
        using var stream = new VerifyingStream(new MemoryStream(Data), Convert.ToHexString(SHA256.HashData(Data)), "x");
        var digest = stream.DeferHashing()!;
        var all = new byte[Data.Length];
        stream.ReadExactly(all); // every byte, but not the read that finds the end
        digest.Append(all);

        Assert.Throws<InvalidOperationException>(digest.Complete);
    }

    [Fact]
    public void A_payload_the_probe_read_to_its_end_is_verified_already_and_defers_nothing()
    {
        var tiny = Data[..5];
        using var stream = new VerifyingStream(new MemoryStream(tiny), Convert.ToHexString(SHA256.HashData(tiny)), "x");
        Assert.Equal(5, stream.ReadAtLeast(new byte[6], 6, throwOnEndOfStream: false));

        Assert.Null(stream.DeferHashing());
    }
}
