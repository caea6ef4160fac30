using GuestOwnerProxy.Crypto.Common;



namespace GuestOwnerProxy.Platform;

public static class SoftwarePlatform
{
    /// <summary>A simulated CSV or SEV firmware (for the demo and <c>gop simulate</c>).</summary>
    public static ISoftwarePlatform Create(PlatformKind kind, SoftwarePlatformOptions? options = null) => kind switch
    {
        PlatformKind.Csv => SoftwareCsvPlatform.Create(options),
        PlatformKind.Sev => SoftwareSevPlatform.Create(options),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
