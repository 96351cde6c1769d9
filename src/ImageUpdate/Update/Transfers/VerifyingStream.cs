using System.Security.Cryptography;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Foundation.Streams;
using ImageUpdate.Update.Transfers.Copying;

namespace ImageUpdate.Update.Transfers;

/// <summary>
/// A read-only stream that hashes what passes through it and, at the end, refuses bytes whose
/// SHA-256 is not the one a signed manifest lists: the last read throws
/// <see cref="VerificationException"/> instead of returning end-of-stream, so a writer never
/// completes (and never marks pending) a copy that does not match. The hash is computed on the
/// reading side, so it overlaps with the writes a pipelined copier issues; a copier that hands the
/// very bytes read to a digest stage of its own takes the hashing over with <see cref="DeferHashing"/>,
/// and then the verdict comes from that digest's <see cref="IBufferDigest.Complete"/>, given only
/// once the end was read and only if the digest saw exactly the bytes read.
/// </summary>
public sealed class VerifyingStream : ForwardReadStream
{
    private readonly Stream _inner;
    private readonly byte[] _expected;
    private readonly string _what;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool _checked;
    private Digest? _deferred;

    /// <param name="expectedSha256">64 hex digits.</param>
    /// <param name="what">The URL or file name, for the message.</param>
    public VerifyingStream(Stream inner, string expectedSha256, string what)
    {
        _inner = inner;
        _expected = Convert.FromHexString(expectedSha256);
        _what = what;
    }

    /// <summary>Bytes read so far.</summary>
    public long BytesRead { get; private set; }

    public override long Length => _inner.Length;

    public override long? ExpectedLength => ExpectedLengthOf(_inner);

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer)
    {
        // A zero-length read (TarReader makes them) says nothing about the end of the stream.
        if (buffer.IsEmpty)
        {
            return 0;
        }

        var read = _inner.Read(buffer);
        return Account(buffer[..read]);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        var read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Account(buffer.Span[..read]);
    }

    /// <summary>
    /// Stops hashing on the reading side and returns the digest that does it instead: the caller
    /// must hand it every byte of the payload from the first, including those already read (a
    /// format probe's head, replayed), in order, and call <see cref="IBufferDigest.Complete"/> after
    /// the end was read. The verdict then also requires the digest to have seen exactly the bytes read.
    /// </summary>
    /// <returns>The digest; null when the end was already read and the bytes verified (a payload
    /// shorter than the probe), so there is nothing left to hash.</returns>
    internal IBufferDigest? DeferHashing()
    {
        if (_checked && _deferred is null)
        {
            return null;
        }

        if (_deferred is not null)
        {
            throw new InvalidOperationException("The hashing of a verifying stream can be deferred once.");
        }

        _hash.GetHashAndReset();
        _deferred = new Digest(this);
        return _deferred;
    }

    private int Account(ReadOnlySpan<byte> data)
    {
        if (data.Length > 0)
        {
            if (_deferred is null)
            {
                _hash.AppendData(data);
            }

            BytesRead += data.Length;
            return data.Length;
        }

        if (_deferred is not null)
        {
            _deferred.EndSeen = true;
        }
        else if (!_checked)
        {
            _checked = true;
            Check(BytesRead);
        }

        return 0;
    }

    private void Check(long hashed)
    {
        var actual = _hash.GetHashAndReset();
        if (hashed != BytesRead || !CryptographicOperations.FixedTimeEquals(actual, _expected))
        {
            throw new VerificationException(
                $"SHA-256 of '{UntrustedText.Escape(_what)}' ({BytesRead} bytes) is {Convert.ToHexStringLower(actual)}, but the manifest lists {Convert.ToHexStringLower(_expected)}.");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>The deferred hashing: the same hash, fed by the copier's digest stage.</summary>
    private sealed class Digest(VerifyingStream owner) : IBufferDigest
    {
        private long _hashed;

        /// <summary>The stream's end was read: until then there is no verdict to give.</summary>
        public bool EndSeen { get; set; }

        public void Append(ReadOnlySpan<byte> data)
        {
            owner._hash.AppendData(data);
            _hashed += data.Length;
        }

        public void Complete()
        {
            if (owner._checked || !EndSeen)
            {
                throw new InvalidOperationException("A deferred digest completes once, after the stream's end was read.");
            }

            owner._checked = true;
            owner.Check(_hashed);
        }
    }
}
