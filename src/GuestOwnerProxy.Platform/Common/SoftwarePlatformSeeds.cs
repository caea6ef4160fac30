using System.Text;

namespace GuestOwnerProxy.Platform;

public static class SoftwarePlatformSeeds
{
    /// <summary>
    /// The fixed seed of the development simulator (ASCII "GuestOwnerProxy development simulator"):
    /// its roots, and so their fingerprints, are the same on every machine. Never trust it in production.
    /// </summary>
    public static byte[] DevelopmentSeed => Encoding.ASCII.GetBytes("GuestOwnerProxy development simulator");

    internal static byte[] Resolve(byte[]? seed)
    {
        if (seed is { Length: > 0 })
            return seed.ToArray();
        return System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
    }
}
