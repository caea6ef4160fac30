using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using GuestOwnerProxy.Server.Tests.KeyBroker;
using Grpc.Core;
using KB = GuestOwnerProxy.Protocol.KeyBroker;

namespace GuestOwnerProxy.Server.Tests.EndToEnd;

/// <summary>
/// SEV-ES/CSV2 launches over real gRPC on both protocols against a test-local ES keyset: the server precomputed
/// one digest per vCPU count of the range at load; the simulated host measures the VMSA pages it builds itself.
/// </summary>
public sealed class EsLaunchTests
{
    private const uint EsPolicy = 0x4;
    private const uint Signature = 0x800f12; // EPYC-v4

    private static ServerSetup EsSetup()
    {
        var setup = new ServerSetup();
        setup.Directory.Write("images/es.fd", File.ReadAllBytes(DemoImage.Ovmf));
        setup.KeysetsJson = """
            {
              "KEYSET-ES": {
                "allowed_images": [ { "name": "es", "ovmf": "images/es.fd", "es": true, "vcpus": "1-8",
                                      "vcpu-type": "EPYC-v4", "vmsa-layout": "init2" } ],
                "allowed_keys": ["key_id1", "key_id2"],
                "allowed-policies": [0, 4],
                "min-api-major": 0,
                "min-api-minor": 0,
                "allowed-build-ids": [15, 1600]
              }
            }
            """;
        return setup;
    }

    private static byte[] Ovmf(ProxyServer server) => File.ReadAllBytes(server.Setup.Directory.File("images/es.fd"));

    private static IEnumerable<byte[]> Vmsas(byte[] ovmf, int vcpus, SimulatedVmsaLayout layout = SimulatedVmsaLayout.Init2)
    {
        uint apStart = SimulatedVcpuState.ApStartFromFirmware(ovmf)!.Value;
        return Enumerable.Range(0, vcpus).Select(cpu => SimulatedVcpuState.SaveArea(cpu, apStart, Signature, layout)).ToList();
    }

    [Theory]
    [InlineData(PlatformKind.Sev, 1)]
    [InlineData(PlatformKind.Sev, 8)]
    [InlineData(PlatformKind.Csv, 4)]
    public async Task Setup_protocol_releases_for_a_count_in_the_range(PlatformKind kind, int vcpus)
    {
        await using var server = await ProxyServer.StartAsync(EsSetup());
        var ovmf = Ovmf(server);
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.For(kind), [ovmf], EsPolicy, vmsas: Vmsas(ovmf, vcpus));
        var response = await server.Client.GetLaunchSecretAsync(launch.SecretRequest("KEYSET-ES"));
        LaunchTests.AssertGuestGotKeys(launch.Inject(response), server.Setup);
        var audit = LaunchTests.JsonLinesAuditLogParse(server.AuditLines().Last());
        Assert.Equal($"image 'es' (es, {vcpus} vcpu{(vcpus == 1 ? "" : "s")}, init2)", audit.Matched);
    }

    public static TheoryData<string> Denials => new() { "9 vcpus", "not es", "legacy layout" };

    private static (uint Policy, IEnumerable<byte[]>? Vmsas) Denial(string which, byte[] ovmf) => which switch
    {
        "9 vcpus" => (EsPolicy, Vmsas(ovmf, 9)),
        "not es" => (0u, null),
        "legacy layout" => (EsPolicy, Vmsas(ovmf, 4, SimulatedVmsaLayout.EsInit)),
        _ => throw new ArgumentOutOfRangeException(nameof(which)),
    };

    [Theory]
    [MemberData(nameof(Denials))]
    public async Task Setup_protocol_denies_measurement_invalid(string which)
    {
        await using var server = await ProxyServer.StartAsync(EsSetup());
        var ovmf = Ovmf(server);
        var (policy, vmsas) = Denial(which, ovmf);
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [ovmf], policy, vmsas: vmsas);
        await Denied.Assert(() => server.Client.GetLaunchSecretAsync(launch.SecretRequest("KEYSET-ES")).ResponseAsync,
            StatusCode.InvalidArgument, "MEASUREMENT INVALID", "MEASUREMENT_INVALID");
    }

    [Theory]
    [InlineData(PlatformKind.Sev, 2)]
    [InlineData(PlatformKind.Csv, 8)]
    public async Task KeyBroker_protocol_releases_for_a_count_in_the_range(PlatformKind kind, int vcpus)
    {
        await using var server = await ProxyServer.StartAsync(EsSetup());
        var client = new KB.KeyBrokerService.KeyBrokerServiceClient(server.Channel);
        var ovmf = Ovmf(server);
        using var launch = await KeyBrokerLaunch.StartAsync(client, TestPlatforms.For(kind), [ovmf], policy: EsPolicy, vmsas: Vmsas(ovmf, vcpus));
        // kata sends the firmware's digest as FwDigest: it narrows the 8 candidates to this count's.
        var response = await client.GetSecretAsync(launch.KataRequest("KEYSET-ES"));
        LaunchTests.AssertGuestGotKeys(launch.Inject(response), server.Setup);
    }

    [Theory]
    [MemberData(nameof(Denials))]
    public async Task KeyBroker_protocol_denies_measurement_invalid(string which)
    {
        await using var server = await ProxyServer.StartAsync(EsSetup());
        var client = new KB.KeyBrokerService.KeyBrokerServiceClient(server.Channel);
        var ovmf = Ovmf(server);
        var (policy, vmsas) = Denial(which, ovmf);
        using var launch = await KeyBrokerLaunch.StartAsync(client, TestPlatforms.Sev, [ovmf], policy: policy, vmsas: vmsas);
        await Rejected.Assert(() => client.GetSecretAsync(launch.KataRequest("KEYSET-ES", withFwDigest: false)).ResponseAsync,
            StatusCode.InvalidArgument, "MEASUREMENT_INVALID");
        // With the host's FwDigest the claim itself is not among the keyset's digests for this launch: it cannot add one.
        await Rejected.Assert(() => client.GetSecretAsync(launch.KataRequest("KEYSET-ES")).ResponseAsync,
            StatusCode.InvalidArgument, "FW_DIGEST_NOT_ALLOWED");
    }

    [Fact]
    public async Task An_es_digest_claimed_for_a_plain_launch_is_not_a_candidate()
    {
        // The host runs a plain launch but claims the 1-vCPU ES digest as FwDigest: the ES digests are not
        // candidates for a policy without the ES bit, so the claim narrows to nothing.
        await using var server = await ProxyServer.StartAsync(EsSetup());
        var client = new KB.KeyBrokerService.KeyBrokerServiceClient(server.Channel);
        var ovmf = Ovmf(server);
        var esDigest = Crypto.Launch.LaunchDigest.ComputeEs(Crypto.Sev.SevLaunchCrypto.Instance, new Crypto.Launch.LaunchImage(DemoImage.Ovmf),
            new Crypto.Launch.EsVcpuModel(Signature, Crypto.Launch.VmsaLayout.Init2), [1]).For(1);
        using var launch = await KeyBrokerLaunch.StartAsync(client, TestPlatforms.Sev, [ovmf], policy: 0);
        var request = launch.KataRequest("KEYSET-ES");
        request.FwDigest = Convert.ToBase64String(esDigest);
        await Rejected.Assert(() => client.GetSecretAsync(request).ResponseAsync, StatusCode.InvalidArgument, "FW_DIGEST_NOT_ALLOWED");
    }
}
