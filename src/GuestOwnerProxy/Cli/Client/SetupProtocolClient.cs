using System.CommandLine;
using System.Globalization;
using Google.Protobuf;
using Grpc.Net.Client;
using GuestOwnerProxy.Protocol.Setup;

namespace GuestOwnerProxy.Cli.Client;

/// <summary>The original <c>Setup</c> service over plaintext HTTP/2 (h2c), as <c>grpc.insecure_channel</c> speaks it.</summary>
public sealed class SetupProtocolClient : IGopProtocolClient
{
    private readonly GrpcChannel _channel;
    private readonly Setup.SetupClient _client;

    public SetupProtocolClient(string server)
    {
        _channel = GrpcChannel.ForAddress(ClientProtocols.Address(server));
        _client = new Setup.SetupClient(_channel);
    }

    public async Task<BundleAnswer> GetBundleAsync(BundleQuery query, CancellationToken cancellationToken)
    {
        var response = await _client.GetLaunchBundleAsync(new BundleRequest
        {
            PlatformPublicKey = ByteString.CopyFrom(query.PlatformPublicKey),
            CertificateChain = ByteString.CopyFrom(query.CertificateChain),
            Policy = query.Policy,
        }, cancellationToken: cancellationToken);
        return new BundleAnswer(
            response.GuestOwnerPublicKey.ToByteArray(),
            response.LaunchBlob.ToByteArray(),
            response.ConnectionId.ToString(CultureInfo.InvariantCulture));
    }

    public async Task<SecretAnswer> GetSecretAsync(SecretQuery query, CancellationToken cancellationToken)
    {
        if (!int.TryParse(query.ConnectionId, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int connectionId))
            throw new CliUsageException($"gop client GetSecret: -c: '{query.ConnectionId}' is not an integer connection id");
        var response = await _client.GetLaunchSecretAsync(new SecretRequest
        {
            LaunchMeasurement = ByteString.CopyFrom(query.LaunchMeasurement),
            ConnectionId = connectionId,
            ApiMajor = query.ApiMajor,
            ApiMinor = query.ApiMinor,
            BuildId = query.BuildId,
            Policy = query.Policy,
            KeysetId = query.KeysetId,
        }, cancellationToken: cancellationToken);
        return new SecretAnswer(response.LaunchSecretHeader.ToByteArray(), response.LaunchSecretData.ToByteArray());
    }

    public void Dispose() => _channel.Dispose();
}

/// <summary>Chooses the protocol implementation for <c>--protocol</c>.</summary>
public static class ClientProtocols
{
    public const string Setup = "setup";
    public const string KeyBroker = "keybroker";

    public static IGopProtocolClient Create(string command, string protocol, string server) => protocol switch
    {
        Setup => new SetupProtocolClient(server),
        KeyBroker => new KeyBrokerProtocolClient(server),
        _ => throw CliParse.Bad(command, "--protocol", $"'{protocol}' is not a protocol (setup, keybroker)"),
    };

    /// <summary><c>--protocol setup|keybroker</c>; completion offers both. The value is checked by <see cref="Create"/>.</summary>
    public static Option<string> Option(string description)
    {
        var option = CliOptions.Value("--protocol", $"{Setup}|{KeyBroker}", description);
        option.CompletionSources.Add(new[] { Setup, KeyBroker });
        return option;
    }

    /// <summary>"host:port" as grpc.insecure_channel takes it becomes http://host:port (h2c); URLs are used as given.</summary>
    public static string Address(string server) =>
        server.Contains("://", StringComparison.Ordinal) ? server : "http://" + server;
}
