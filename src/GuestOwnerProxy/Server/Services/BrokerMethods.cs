using System.Globalization;
using System.Text;
using Google.Protobuf;
using GuestOwnerProxy.Server.Audit;
using GuestOwnerProxy.Server.Broker;
using GuestOwnerProxy.Server.Policy;
using Microsoft.AspNetCore.Http;

namespace GuestOwnerProxy.Server.Services;

/// <summary>One method of either protocol as the request edge (rate limiter, body guard) sees it.</summary>
public sealed record BrokerMethod(MessageParser Parser, string MessageName, AuditEvent Event, BrokerProtocol Protocol);

/// <summary>
/// The broker's gRPC methods by path, taken from the generated descriptors (a method added to a proto is covered
/// by itself), and what the request edge needs to refuse a call before gRPC runs: the peer as gRPC names it and a
/// trailers-only status.
/// </summary>
public static class BrokerMethods
{
    private static readonly IReadOnlyDictionary<string, BrokerMethod> ByPath = Build();

    private static Dictionary<string, BrokerMethod> Build()
    {
        var methods = new Dictionary<string, BrokerMethod>(StringComparer.Ordinal);
        Add(methods, Protocol.Setup.Setup.Descriptor, BrokerProtocol.Setup);
        Add(methods, Protocol.KeyBroker.KeyBrokerService.Descriptor, BrokerProtocol.KeyBroker);
        return methods;
    }

    private static void Add(Dictionary<string, BrokerMethod> methods, Google.Protobuf.Reflection.ServiceDescriptor service, BrokerProtocol protocol)
    {
        foreach (var method in service.Methods)
            methods[$"/{service.FullName}/{method.Name}"] =
                new BrokerMethod(method.InputType.Parser, method.InputType.Name, EventOf(method.Name), protocol);
    }

    private static AuditEvent EventOf(string method) => method switch
    {
        "GetLaunchBundle" or "GetBundle" => AuditEvent.Bundle,
        "GetOnlineSecret" => AuditEvent.OnlineSecret,
        _ => AuditEvent.Secret,
    };

    /// <summary>
    /// The broker method a request is routed to; null for anything else (health, reflection, other paths). Taken
    /// from the endpoint routing chose (gRPC's own method metadata), not from the raw path: routing ignores case
    /// and a trailing slash, so comparing path strings here would let <c>/setup/getlaunchbundle</c> through unguarded.
    /// </summary>
    public static BrokerMethod? Of(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<Grpc.AspNetCore.Server.GrpcMethodMetadata>() is { } grpc
        && ByPath.TryGetValue(grpc.Method.FullName, out var method)
            ? method
            : null;

    /// <summary>The peer as gRPC's ServerCallContext.Peer names it, so audit records of every path agree.</summary>
    public static string PeerOf(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        int port = context.Connection.RemotePort;
        if (address is null)
            return "unknown";
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"ipv6:[{address}]:{port}"
            : $"ipv4:{address}:{port}";
    }

    /// <summary>A gRPC "trailers-only" answer: the status in the response headers and no message, with the same
    /// detail string and ErrorInfo reason as a denial from a service (<see cref="RpcStatusMapper"/>).</summary>
    public static void WriteTrailersOnly(HttpResponse response, DenialReason reason)
    {
        var rpc = RpcStatusMapper.ToRpcException(reason);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)rpc.StatusCode).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = PercentEncode(rpc.Status.Detail);
        foreach (var entry in rpc.Trailers)
            response.Headers[entry.Key] = entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes) : entry.Value;
    }

    /// <summary>grpc-message is percent-encoded UTF-8 outside printable ASCII (and '%' itself).</summary>
    private static string PercentEncode(string text)
    {
        var result = new StringBuilder(text.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            if (b is >= 0x20 and <= 0x7e && b != (byte)'%')
                result.Append((char)b);
            else
                result.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return result.ToString();
    }
}
