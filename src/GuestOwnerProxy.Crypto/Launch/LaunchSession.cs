using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Crypto.Launch;

/// <summary>
/// One guest owner session: what goes to the platform (GODH certificate, session blob) and what
/// stays with us (TEK, TIK). Dispose zeroes the keys. ToString never shows them.
/// </summary>
public sealed class LaunchSession : IDisposable
{
    private readonly byte[] _tek;
    private readonly byte[] _tik;

    public LaunchSession(PlatformKind platform, byte[] godhCertificate, byte[] sessionBlob, uint policy, byte[] tek, byte[] tik)
    {
        if (tek.Length != 16 || tik.Length != 16)
            throw new ArgumentException("TEK and TIK are 16 bytes each");
        Platform = platform;
        GodhCertificate = godhCertificate;
        SessionBlob = sessionBlob;
        Policy = policy;
        _tek = tek;
        _tik = tik;
    }

    public PlatformKind Platform { get; }
    public byte[] GodhCertificate { get; }
    public byte[] SessionBlob { get; }
    public uint Policy { get; }
    public ReadOnlySpan<byte> Tek => _tek;
    public ReadOnlySpan<byte> Tik => _tik;

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_tek);
        CryptographicOperations.ZeroMemory(_tik);
    }

    public override string ToString() => $"LaunchSession({Platform}, policy 0x{Policy:x8})";
}
