using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Crypto.Tests.RoundTrip;

internal static class FirmwareAssert
{
    /// <summary>The command must be refused by the firmware with <paramref name="expected"/>; a launch that
    /// slipped through is disposed. <paramref name="what"/> names the tampering in the failure message.</summary>
    public static void Refuses(FirmwareError expected, string what, Func<IDisposable?> command)
    {
        FirmwareException? refused = null;
        try
        {
            command()?.Dispose();
        }
        catch (FirmwareException e)
        {
            refused = e;
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{what}: expected FirmwareException {expected}, got {e.GetType().Name}: {e.Message}", e);
        }
        if (refused is null)
            throw new Xunit.Sdk.XunitException($"{what}: the firmware accepted it (expected {expected})");
        if (refused.Error != expected)
            throw new Xunit.Sdk.XunitException($"{what}: expected {expected}, firmware said {refused.Error}: {refused.Message}");
    }

    public static void Refuses(FirmwareError expected, string what, Action command) =>
        Refuses(expected, what, () => { command(); return null; });
}
