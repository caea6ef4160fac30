using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Health.V1;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using V1 = Grpc.Reflection.V1;
using V1Alpha = Grpc.Reflection.V1Alpha;

namespace GuestOwnerProxy.Server.Tests.Hosting;

/// <summary>
/// grpc.health.v1 and gRPC server reflection on the same h2c endpoint as Setup, as grpcurl and
/// grpc_health_probe would use them.
/// </summary>
public sealed class ReflectionAndHealthTests
{
    [Fact]
    public async Task Health_check_reports_serving_once_the_configuration_is_loaded()
    {
        await using var server = await ProxyServer.StartAsync();
        var health = new Health.HealthClient(server.Channel);

        var response = await health.CheckAsync(new HealthCheckRequest { Service = "" });

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Reflection_v1alpha_lists_setup_and_health_and_describes_the_package_less_setup_service()
    {
        await using var server = await ProxyServer.StartAsync();
        var client = new V1Alpha.ServerReflection.ServerReflectionClient(server.Channel);
        using var call = client.ServerReflectionInfo();

        await call.RequestStream.WriteAsync(new V1Alpha.ServerReflectionRequest { ListServices = "" });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("Setup", services);
        Assert.Contains("grpc.health.v1.Health", services);

        // The descriptor is the wire contract: no package, so the paths stay /Setup/GetLaunchBundle and /Setup/GetLaunchSecret.
        await call.RequestStream.WriteAsync(new V1Alpha.ServerReflectionRequest { FileContainingSymbol = "Setup" });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var files = call.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto;
        await call.RequestStream.CompleteAsync();

        AssertSetupService(files);
    }

    [Fact]
    public async Task Reflection_v1_lists_setup_and_health()
    {
        await using var server = await ProxyServer.StartAsync();
        var client = new V1.ServerReflection.ServerReflectionClient(server.Channel);
        using var call = client.ServerReflectionInfo();

        await call.RequestStream.WriteAsync(new V1.ServerReflectionRequest { ListServices = "" });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("Setup", services);
        Assert.Contains("grpc.health.v1.Health", services);

        await call.RequestStream.WriteAsync(new V1.ServerReflectionRequest { FileContainingSymbol = "Setup" });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var files = call.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto;
        await call.RequestStream.CompleteAsync();

        AssertSetupService(files);
    }

    private static void AssertSetupService(IEnumerable<ByteString> files)
    {
        var descriptors = files.Select(f => FileDescriptorProto.Parser.ParseFrom(f)).ToList();
        var file = Assert.Single(descriptors, d => d.Service.Any(s => s.Name == "Setup"));
        Assert.Equal("", file.Package);
        var setup = file.Service.Single(s => s.Name == "Setup");
        var methods = setup.Method.ToDictionary(m => m.Name);
        Assert.Equal(2, methods.Count);
        Assert.Equal(".BundleRequest", methods["GetLaunchBundle"].InputType);
        Assert.Equal(".BundleResponse", methods["GetLaunchBundle"].OutputType);
        Assert.Equal(".SecretRequest", methods["GetLaunchSecret"].InputType);
        Assert.Equal(".SecretResponse", methods["GetLaunchSecret"].OutputType);
    }
}
