using System.Security.Cryptography;

namespace GuestOwnerProxy.Crypto.Common;

/// <summary>Randomness seam so that sessions, IVs and nonces are reproducible in tests.</summary>
public interface IRandomSource
{
    void Fill(Span<byte> destination);
}

/// <summary>The operating system's CSPRNG: the only source production code uses.</summary>
public sealed class SystemRandomSource : IRandomSource
{
    public static readonly SystemRandomSource Instance = new();

    public void Fill(Span<byte> destination) => RandomNumberGenerator.Fill(destination);
}
