using System.Buffers.Binary;

namespace GuestOwnerProxy.Platform;

/// <summary>The LAUNCH_MEASURE HMAC as each firmware computes it.</summary>
internal static class FirmwareMeasurement
{
    private const byte MeasureDomain = 0x04;

    /// <summary>HMAC-SHA256(TIK, 0x04 ‖ api_major ‖ api_minor ‖ build ‖ policy ‖ LD ‖ mnonce), one byte each for the version.</summary>
    public static byte[] Sev(ReadOnlySpan<byte> tik, byte apiMajor, byte apiMinor, byte build, uint policy,
        ReadOnlySpan<byte> launchDigest, ReadOnlySpan<byte> mnonce)
    {
        Span<byte> version = [apiMajor, apiMinor, build];
        return System.Security.Cryptography.HMACSHA256.HashData(tik, Assemble(version, policy, launchDigest, mnonce));
    }

    /// <summary>HMAC-SM3(TIK, 0x04 ‖ api_major ‖ api_minor ‖ [build per variant] ‖ policy ‖ LD ‖ mnonce).</summary>
    public static byte[] Csv(CsvMeasurementVariant variant, ReadOnlySpan<byte> tik, FirmwareVersion version,
        uint policy, ReadOnlySpan<byte> launchDigest, ReadOnlySpan<byte> mnonce)
    {
        byte[] versionBytes = variant switch
        {
            CsvMeasurementVariant.NoBuild => [version.ApiMajor, version.ApiMinor],
            CsvMeasurementVariant.Build8 => [version.ApiMajor, version.ApiMinor, (byte)(version.BuildId & 0xff)],
            CsvMeasurementVariant.Build32 => BuildU32(version),
            _ => throw new ArgumentOutOfRangeException(nameof(variant)),
        };
        return FirmwareCrypto.HmacSm3(tik, Assemble(versionBytes, policy, launchDigest, mnonce));
    }

    private static byte[] BuildU32(FirmwareVersion version)
    {
        byte[] b = new byte[6];
        b[0] = version.ApiMajor;
        b[1] = version.ApiMinor;
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(2), version.BuildId);
        return b;
    }

    private static byte[] Assemble(ReadOnlySpan<byte> version, uint policy, ReadOnlySpan<byte> launchDigest, ReadOnlySpan<byte> mnonce)
    {
        byte[] input = new byte[1 + version.Length + 4 + launchDigest.Length + mnonce.Length];
        int o = 0;
        input[o++] = MeasureDomain;
        version.CopyTo(input.AsSpan(o)); o += version.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(input.AsSpan(o), policy); o += 4;
        launchDigest.CopyTo(input.AsSpan(o)); o += launchDigest.Length;
        mnonce.CopyTo(input.AsSpan(o));
        return input;
    }
}
