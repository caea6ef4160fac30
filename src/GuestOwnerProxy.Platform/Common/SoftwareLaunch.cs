using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Platform;

/// <summary>
/// The launch state machine shared by both firmwares after LAUNCH_START: update data → measure →
/// secret. Only the measurement formula differs per platform.
/// </summary>
internal abstract class SoftwareLaunch : ISoftwareLaunch
{
    private const int MnonceSize = 16;
    private const int VmsaPageSize = 4096;
    private const uint PolicyEsBit = 0x4;

    private readonly ILaunchCrypto _crypto;
    private readonly IRandomSource _random;
    private readonly int _secretAreaSize;
    private readonly byte[] _tek;
    private readonly byte[] _tik;
    private IStreamingHash? _digest;
    private byte[]? _launchDigest;
    private byte[]? _measure;
    private bool _disposed;
    private int _vmsaCount;

    protected SoftwareLaunch(ILaunchCrypto crypto, IRandomSource random, int secretAreaSize,
        byte[] tek, byte[] tik, uint policy)
    {
        _crypto = crypto;
        _random = random;
        _secretAreaSize = secretAreaSize;
        _tek = tek;
        _tik = tik;
        Policy = policy;
        _digest = crypto.CreateDigest();
    }

    public uint Policy { get; }

    public byte[] LaunchDigest => _launchDigest?.ToArray()
        ?? throw new FirmwareException(FirmwareError.InvalidState, "launch digest is not final before LAUNCH_MEASURE");

    public void UpdateData(ReadOnlySpan<byte> data)
    {
        ThrowIfDisposed();
        if (_digest is null)
            throw new FirmwareException(FirmwareError.InvalidState, "LAUNCH_UPDATE_DATA after LAUNCH_MEASURE");
        if (_vmsaCount > 0)
            throw new FirmwareException(FirmwareError.InvalidState, "LAUNCH_UPDATE_DATA after LAUNCH_UPDATE_VMSA (guest memory is measured before the vCPUs)");
        _digest.Append(data);
    }

    public int VmsaCount => _vmsaCount;

    public void UpdateVmsa(ReadOnlySpan<byte> vmsaPage)
    {
        ThrowIfDisposed();
        if (_digest is null)
            throw new FirmwareException(FirmwareError.InvalidState, "LAUNCH_UPDATE_VMSA after LAUNCH_MEASURE");
        if ((Policy & PolicyEsBit) == 0)
            throw new FirmwareException(FirmwareError.PolicyViolation,
                $"LAUNCH_UPDATE_VMSA for a launch whose policy 0x{Policy:x8} lacks the ES bit (0x{PolicyEsBit:x})");
        if (vmsaPage.Length != VmsaPageSize)
            throw new FirmwareException(FirmwareError.InvalidLength, $"a VMSA is one {VmsaPageSize}-byte page, got {vmsaPage.Length} bytes");
        _digest.Append(vmsaPage);
        _vmsaCount++;
    }

    public byte[] Measure()
    {
        ThrowIfDisposed();
        if (_digest is null)
            throw new FirmwareException(FirmwareError.InvalidState, "LAUNCH_MEASURE was already issued for this launch");
        // An ES guest without its vCPU state could not run; the firmware will not measure it.
        if ((Policy & PolicyEsBit) != 0 && _vmsaCount == 0)
            throw new FirmwareException(FirmwareError.InvalidState, "LAUNCH_MEASURE of an SEV-ES launch before any LAUNCH_UPDATE_VMSA (the BSP's at least)");
        _launchDigest = _digest.Finish();
        _digest.Dispose();
        _digest = null;

        byte[] mnonce = new byte[MnonceSize];
        _random.Fill(mnonce);
        _measure = ComputeMeasure(_tik, _launchDigest, mnonce);
        return [.. _measure, .. mnonce];
    }

    public IReadOnlyList<GuestSecretEntry> InjectSecret(byte[] header52, byte[] data)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(header52);
        ArgumentNullException.ThrowIfNull(data);
        if (_measure is null)
            throw new FirmwareException(FirmwareError.InvalidState, "LAUNCH_SECRET before LAUNCH_MEASURE");
        if (data.Length > _secretAreaSize)
            throw new FirmwareException(FirmwareError.SecretAreaTooSmall,
                $"secret of {data.Length} bytes does not fit the guest's {_secretAreaSize}-byte secret area");

        byte[] plain = LaunchSecretPacket.Open(_crypto, _tek, _tik, _measure, header52, data);
        // The guest sees the whole area: the secret followed by whatever was there (zeros).
        byte[] area = new byte[_secretAreaSize];
        try
        {
            plain.CopyTo(area, 0);
            return EfiSecretArea.Parse(area);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
            CryptographicOperations.ZeroMemory(area);
        }
    }

    protected abstract byte[] ComputeMeasure(byte[] tik, byte[] launchDigest, byte[] mnonce);

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        CryptographicOperations.ZeroMemory(_tek);
        CryptographicOperations.ZeroMemory(_tik);
        _digest?.Dispose();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
