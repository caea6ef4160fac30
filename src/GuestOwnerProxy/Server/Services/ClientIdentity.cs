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
        return "addr:" + (Normalize(context.Connection.RemoteIpAddress)?.ToString() ?? "unknown");
    }

    private static IPAddress? Normalize(IPAddress? address) =>
        address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
}
