namespace GuestOwnerProxy.Platform;

/// <summary>LAUNCH_START refuses a policy whose minimum API version (bits 23:16 major, 31:24 minor) exceeds the firmware's.</summary>
internal static class PolicyCheck
{
    public static void RequireSupportedApi(uint policy, FirmwareVersion version)
    {
        int minMajor = (int)((policy >> 16) & 0xff);
        int minMinor = (int)((policy >> 24) & 0xff);
        if (minMajor > version.ApiMajor || (minMajor == version.ApiMajor && minMinor > version.ApiMinor))
            throw new FirmwareException(FirmwareError.PolicyUnsupported,
                $"policy 0x{policy:x8} requires API {minMajor}.{minMinor}, firmware is {version.ApiMajor}.{version.ApiMinor}");
    }
}
