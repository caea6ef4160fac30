using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Cli.Tests;

/// <summary>
/// A real server process (<c>dotnet gop.dll serve</c>) on a free loopback port, trusting the development
/// simulator's roots for both platforms, with one keyset whose allowed image is the demo OVMF (config/dev/demo).
/// Shared by the client and simulate tests.
/// </summary>
public sealed class ServerFixture : IDisposable
{
    public const string KeysetId = "KEYSET-1";
    public const string KeyId = "key_id1";
    public const string KeyValue = "RcHGava52DPvj1uoIk/NVDYlwxi0A6yyIZ8ilhEX3X4=";
    /// <summary>A keyset whose keys go to their own secret-guid (config.md), for simulate --secret-guid.</summary>
    public const string GuidKeysetId = "KEYSET-GUID";
    public const string GuidKeysetGuid = "4c2eb361-7d9b-4cc3-8081-127c90d3d294";

    private readonly TempDir _dir = new();
    private readonly GopServer _server;

    public ServerFixture()
    {
        Ovmf = DemoImage.Ovmf;
        Csv = SoftwarePlatform.Create(PlatformKind.Csv, new SoftwarePlatformOptions { Seed = SoftwarePlatformSeeds.DevelopmentSeed });
        Sev = SoftwarePlatform.Create(PlatformKind.Sev, new SoftwarePlatformOptions { Seed = SoftwarePlatformSeeds.DevelopmentSeed });
        Csv.WriteTrustFiles(PlatformDir(PlatformKind.Csv));
        Sev.WriteTrustFiles(PlatformDir(PlatformKind.Sev));

        var keysets = _dir.Write("keysets.json", $$"""
            {
              "{{KeysetId}}": {
                "allowed_images": [{"name": "amdsev", "ovmf": "{{Ovmf}}"}],
                "allowed_keys": ["{{KeyId}}"],
                "allowed-policies": [0],
                "min-api-major": 0,
                "min-api-minor": 0,
                "allowed-build-ids": [{{Csv.Version.BuildId}}, {{Sev.Version.BuildId}}]
              },
              "{{GuidKeysetId}}": {
                "allowed_images": [{"name": "amdsev", "ovmf": "{{Ovmf}}"}],
                "allowed_keys": ["{{KeyId}}"],
                "allowed-policies": [0],
                "allowed-build-ids": [{{Csv.Version.BuildId}}, {{Sev.Version.BuildId}}],
                "secret-guid": "{{GuidKeysetGuid}}"
              }
            }
            """);
        var keys = _dir.Write("keys.json", $$"""{ "{{KeyId}}": "{{KeyValue}}" }""");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        string P(PlatformKind k, string f) => System.IO.Path.Combine(PlatformDir(k), f);
        _server = GopServer.Start(_dir.Path,
            "-c", keysets, "-k", keys,
            "--environment", "Production",
            "--GuestOwnerProxy:ListenAddress=127.0.0.1",
            $"--GuestOwnerProxy:AuditLog={_dir.File("audit.jsonl")}",
            "--GuestOwnerProxy:ReloadInterval=00:00:00",
            $"--GuestOwnerProxy:Trust:RootFiles:0={P(PlatformKind.Csv, "hrk.cert")}",
            $"--GuestOwnerProxy:Trust:RootFiles:1={P(PlatformKind.Sev, "ark.cert")}",
            $"--GuestOwnerProxy:Trust:ExtraRootFingerprints:0={Csv.RootFingerprint}",
            $"--GuestOwnerProxy:Trust:ExtraRootFingerprints:1={Sev.RootFingerprint}",
            $"--GuestOwnerProxy:Trust:IntermediateFiles:0={P(PlatformKind.Csv, "hsk_cek.cert")}",
            $"--GuestOwnerProxy:Trust:IntermediateFiles:1={P(PlatformKind.Sev, "ask.cert")}");
    }

    public int Port => _server.Port;
    public string Address => _server.Address;
    public string Ovmf { get; }
    public ISoftwarePlatform Csv { get; }
    public ISoftwarePlatform Sev { get; }

    public ISoftwarePlatform Platform(PlatformKind kind) => kind == PlatformKind.Csv ? Csv : Sev;

    /// <summary>pdh.cert, cert_chain.cert, ... of the simulated host.</summary>
    public string PlatformDir(PlatformKind kind) => System.IO.Path.Combine(_dir.Path, kind == PlatformKind.Csv ? "csv" : "sev");

    public string Log => _server.Log;

    public void Dispose()
    {
        try
        {
            _server.Dispose();
        }
        finally
        {
            _dir.Dispose();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "gop server";
}
