using System.Security.Cryptography;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Transfers;

namespace ImageUpdate.Tests.Update.Transfers;

/// <summary>
/// A verified (url-file) payload written into a file: every size installs, from empty ones the
/// format probe reads to the end by itself to ones the copy's digest stage hashes beside its writes,
/// and a single changed byte of any of them fails.
/// </summary>
public sealed class VerifiedFileWriteTests : IDisposable
{
    private readonly TempDirectory _dir = new("verified-write");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(0, false)]
    [InlineData(5, false)]
    [InlineData(5, true)]
    [InlineData(6, false)]
    [InlineData(7, true)]
    [InlineData((9 << 20) + 3, false)]
    [InlineData((9 << 20) + 3, true)]
    public async Task A_verified_payload_of_any_size_installs_and_a_changed_byte_fails(int size, bool tampered)
    {
        var data = RandomNumberGenerator.GetBytes(size);
        var served = (byte[])data.Clone();
        if (tampered)
        {
            served[size / 2] ^= 0x40;
        }

        var listed = Convert.ToHexString(SHA256.HashData(data));
        var payload = SourcePayload.FromStream(PayloadKind.File, "https://example/os.raw", _ =>
            Task.FromResult<Stream>(new VerifyingStream(new MemoryStream(served), listed, "https://example/os.raw")));
        var write = PayloadWriter.WriteFileAsync(payload, _dir["target"], null, CancellationToken.None);

        if (tampered)
        {
            var error = await Assert.ThrowsAsync<VerificationException>(() => write);
            Assert.Contains(listed.ToLowerInvariant(), error.Message);
        }
        else
        {
            await write;
            Assert.Equal(data, await File.ReadAllBytesAsync(_dir["target"]));
        }
    }
}
