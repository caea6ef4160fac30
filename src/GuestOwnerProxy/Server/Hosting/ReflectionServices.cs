using Grpc.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace GuestOwnerProxy.Server.Hosting;

/// <summary>
/// gRPC server reflection (v1 and v1alpha, for grpcurl and grpc_cli) over the services this server maps, named
/// here rather than discovered: Grpc.AspNetCore.Server.Reflection finds each mapped service's descriptor through
/// reflection over its generated base class, which the native (trimmed) build does not keep.
/// </summary>
public static class ReflectionServices
{
    /// <summary>Every service the server maps, as reflection lists them.</summary>
    public static IReadOnlyList<ServiceDescriptor> Served { get; } =
    [
        Protocol.Setup.Setup.Descriptor,
        Protocol.KeyBroker.KeyBrokerService.Descriptor,
        Grpc.Health.V1.Health.Descriptor,
        Grpc.Reflection.V1.ServerReflection.Descriptor,
        Grpc.Reflection.V1Alpha.ServerReflection.Descriptor,
    ];

    public static void Add(IServiceCollection services)
    {
        services.AddSingleton(new ReflectionServiceImpl(Served));
        services.AddSingleton(new ReflectionV1ServiceImpl(Served));
    }

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<ReflectionServiceImpl>();
        endpoints.MapGrpcService<ReflectionV1ServiceImpl>();
    }
}
