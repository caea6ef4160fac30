using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace GuestOwnerProxy.Server.Services;

/// <summary>
/// Who a request comes from, for quotas and rate limits: the TLS client certificate when the listener requires one
/// (a host's identity survives address changes and NAT), else the peer's address without its port (a host opens a
/// new connection per kata call).
/// </summary>
public static class ClientIdentity
{
    public static string Of(ServerCallContext context) => Of(context.GetHttpContext());

    public static string Of(HttpContext context)
    {
        if (context.Connection.ClientCertificate is { } certificate)
            return "cert:" + certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256).ToLowerInvariant();
        return "addr:" + (Normalize(context.Connection.RemoteIpAddress) is { } address ? Network(address) : "unknown");
    }

    /// <summary>An IPv4 address, or an IPv6 address's /64: one IPv6 host commonly holds a whole /64, so counting
    /// single addresses would give it as many quotas as it has addresses.</summary>
    private static string Network(IPAddress address)
    {
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(address))
            return address.ToString();
        var bytes = address.GetAddressBytes();
        bytes.AsSpan(8).Clear();
        return new IPAddress(bytes) + "/64";
    }

    private static IPAddress? Normalize(IPAddress? address) =>
        address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
}
