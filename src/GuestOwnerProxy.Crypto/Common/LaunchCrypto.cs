using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Sev;

namespace GuestOwnerProxy.Crypto.Common;

public static class LaunchCrypto
{
    public static ILaunchCrypto For(PlatformKind platform) => platform switch
    {
        PlatformKind.Csv => CsvLaunchCrypto.Instance,
        PlatformKind.Sev => SevLaunchCrypto.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(platform)),
    };
}
