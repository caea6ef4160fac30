using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Server.Sessions.Redis;

/// <summary>
/// A live session as the plaintext the sealing key ring seals: everything a secret request needs (platform, policy,
/// TEK, TIK, what the bundle step proved about the platform, who opened it, when it expires). The GODH certificate and
/// the session blob went to the host with the bundle and are not needed again, so they are not stored. Fields in a
/// fixed order, integers big-endian, byte strings and strings with a 32-bit length (a null string has length
/// 0xffffffff). The plaintext holds TEK and TIK: callers zero it (<see cref="CryptographicOperations.ZeroMemory"/>).
/// </summary>
internal static class SessionRecord
{
    private const byte FormatVersion = 1;
    private const uint NullLength = uint.MaxValue;

    public static byte[] Write(LiveSession session)
    {
        var launch = session.Launch;
        var identity = session.Identity;
        var strings = new[] { PlatformNames.Of(session.Platform), identity.ChipId, identity.RootName, identity.TrustVersion, session.Peer, session.Client };
        int size = 1 + 4 + launch.Tek.Length + launch.Tik.Length + 1 + 3 * 8
            + strings.Sum(s => 4 + (s is null ? 0 : Encoding.UTF8.GetByteCount(s)))
            + 4 + (identity.Evidence.PdhCertificate?.Length ?? 0) + 4 + (identity.Evidence.CertificateChain?.Length ?? 0);
        // Pinned: the GC never moves it, so zeroing it leaves no copy of TEK/TIK behind.
        var buffer = GC.AllocateArray<byte>(size, pinned: true);
        var writer = new Writer(buffer);
        writer.Byte(FormatVersion);
        writer.String(strings[0]);
        writer.UInt32(launch.Policy);
        writer.Raw(launch.Tek);
        writer.Raw(launch.Tik);
        writer.String(identity.ChipId);
        writer.String(identity.RootName);
        writer.Byte(identity.ChainVerified ? (byte)1 : (byte)0);
        writer.String(identity.TrustVersion);
        writer.Bytes(identity.Evidence.PdhCertificate);
        writer.Bytes(identity.Evidence.CertificateChain);
        writer.String(session.Peer);
        writer.String(session.Client);
        writer.Int64(session.CreatedAt.ToUnixTimeMilliseconds());
        writer.Int64(session.ExpiresAt.ToUnixTimeMilliseconds());
        writer.Int64(session.Footprint);
        if (writer.Offset != size)
            throw new InvalidOperationException("session record size miscounted");
        return buffer;
    }

    /// <summary>The session <paramref name="plaintext"/> describes, named <paramref name="connectionId"/>/<paramref name="launchId"/>
    /// (authenticated with it by the seal). Throws <see cref="FormatException"/> for a record this format did not write.</summary>
    public static LiveSession Read(ReadOnlySpan<byte> plaintext, int connectionId, Guid launchId)
    {
        var reader = new Reader(plaintext);
        if (reader.Byte() != FormatVersion)
            throw new FormatException("unknown session record version");
        var platform = PlatformNames.TryParse(reader.String(), out var kind) ? kind : throw new FormatException("unknown platform");
        uint policy = reader.UInt32();
        var tek = reader.Raw(16);
        byte[] tik = [];
        try
        {
            tik = reader.Raw(16);
            var chipId = reader.String();
            var rootName = reader.String();
            bool chainVerified = reader.Byte() == 1;
            var trustVersion = reader.String() ?? throw new FormatException("trust version missing");
            var pdh = reader.Bytes() ?? [];
            var chain = reader.Bytes() ?? [];
            var peer = reader.String() ?? "";
            var client = reader.String() ?? "";
            var created = DateTimeOffset.FromUnixTimeMilliseconds(reader.Int64());
            var expires = DateTimeOffset.FromUnixTimeMilliseconds(reader.Int64());
            long footprint = reader.Int64();
            if (!reader.AtEnd)
                throw new FormatException("trailing bytes in session record");
            var identity = new PlatformIdentity(platform, chipId, rootName, chainVerified, trustVersion, new PlatformEvidence(pdh, chain));
            var launch = new LaunchSession(platform, [], [], policy, tek, tik);
            return new LiveSession(connectionId, launch, identity, peer, created, expires, launchId) { Client = client, Footprint = footprint };
        }
        catch
        {
            CryptographicOperations.ZeroMemory(tek);
            CryptographicOperations.ZeroMemory(tik);
            throw;
        }
    }

    private ref struct Writer(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;
        public int Offset { get; private set; }

        public void Byte(byte value) => _buffer[Offset++] = value;

        public void UInt32(uint value)
        {
            BinaryPrimitives.WriteUInt32BigEndian(_buffer[Offset..], value);
            Offset += 4;
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(_buffer[Offset..], value);
            Offset += 8;
        }

        public void Raw(ReadOnlySpan<byte> value)
        {
            value.CopyTo(_buffer[Offset..]);
            Offset += value.Length;
        }

        public void Bytes(byte[]? value)
        {
            UInt32(value is null ? NullLength : (uint)value.Length);
            if (value is not null)
                Raw(value);
        }

        public void String(string? value)
        {
            if (value is null)
            {
                UInt32(NullLength);
                return;
            }
            int length = Encoding.UTF8.GetBytes(value, _buffer[(Offset + 4)..]);
            UInt32((uint)length);
            Offset += length;
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> buffer)
    {
        private readonly ReadOnlySpan<byte> _buffer = buffer;
        private int _offset;

        public readonly bool AtEnd => _offset == _buffer.Length;

        private ReadOnlySpan<byte> Take(int length)
        {
            if (length < 0 || length > _buffer.Length - _offset)
                throw new FormatException("session record truncated");
            var slice = _buffer.Slice(_offset, length);
            _offset += length;
            return slice;
        }

        public byte Byte() => Take(1)[0];
        public uint UInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));
        public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));
        public byte[] Raw(int length)
        {
            var raw = GC.AllocateArray<byte>(length, pinned: true);
            Take(length).CopyTo(raw);
            return raw;
        }

        public byte[]? Bytes()
        {
            uint length = UInt32();
            return length == NullLength ? null : Take(checked((int)length)).ToArray();
        }

        public string? String()
        {
            uint length = UInt32();
            return length == NullLength ? null : Encoding.UTF8.GetString(Take(checked((int)length)));
        }
    }
}
