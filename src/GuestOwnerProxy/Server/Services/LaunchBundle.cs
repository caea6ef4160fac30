using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Server.Services;

/// <summary>A bundle request as the domain sees it (policy as raw u32 bits).</summary>
public sealed record BundleRequestFacts(byte[] PlatformPublicKey, byte[] CertificateChain, uint Policy, string Peer)
{
    public string Protocol { get; init; } = "setup";
}

/// <summary>What goes back to the platform owner for LAUNCH_START (raw bytes; wire encoding is the service's job).</summary>
public sealed record LaunchBundle(int ConnectionId, PlatformKind Platform, byte[] GodhCertificate, byte[] SessionBlob, Guid LaunchId = default);

/// <summary>The LAUNCH_SECRET packet for QEMU (raw bytes).</summary>
public sealed record LaunchSecret(byte[] Header, byte[] Data);
