using System.Text;
using Grpc.Net.Client;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Protocol.KeyBroker;

namespace GuestOwnerProxy.Cli.Client;

/// <summary>
/// simple-kbs's <c>keybroker.KeyBrokerService</c> over h2c, shaped the way kata-runtime calls it
///: every binary value is a base64 string, the session is a UUID launch id, and the
/// secret request asks for the offline KBC's keyset bundle (Format "JSON", SecretType "bundle", the bundle
/// GUID, Id = keyset).
/// </summary>
public sealed class KeyBrokerProtocolClient : IGopProtocolClient
{
    public const string BundleSecretType = "bundle";
    public const string KataFormat = "JSON";

    private readonly GrpcChannel _channel;
    private readonly KeyBrokerService.KeyBrokerServiceClient _client;

    public KeyBrokerProtocolClient(string server)
    {
        _channel = GrpcChannel.ForAddress(ClientProtocols.Address(server));
        _client = new KeyBrokerService.KeyBrokerServiceClient(_channel);
    }

    public async Task<BundleAnswer> GetBundleAsync(BundleQuery query, CancellationToken cancellationToken)
    {
        var response = await _client.GetBundleAsync(new BundleRequest
        {
            CertificateChain = Convert.ToBase64String(ChainWithPdh(query.PlatformPublicKey, query.CertificateChain)),
            Policy = unchecked((uint)query.Policy),
        }, cancellationToken: cancellationToken);
        // The fields stay base64 text, as they came: that is what QEMU's dh-cert-file/session-file hold.
        return new BundleAnswer(
            Encoding.ASCII.GetBytes(response.GuestOwnerPublicKey),
            Encoding.ASCII.GetBytes(response.LaunchBlob),
            response.LaunchId);
    }

    public async Task<SecretAnswer> GetSecretAsync(SecretQuery query, CancellationToken cancellationToken)
    {
        var request = new SecretRequest
        {
            LaunchMeasurement = Convert.ToBase64String(query.LaunchMeasurement),
            LaunchId = query.ConnectionId,
            Policy = unchecked((uint)query.Policy),
            ApiMajor = unchecked((uint)query.ApiMajor),
            ApiMinor = unchecked((uint)query.ApiMinor),
            BuildId = unchecked((uint)query.BuildId),
            FwDigest = query.FwDigest is null ? "" : Convert.ToBase64String(query.FwDigest),
        };
        request.SecretRequests.Add(KataBundleRequest(query.KeysetId, query.BundleGuid));
        var response = await _client.GetSecretAsync(request, cancellationToken: cancellationToken);
        return new SecretAnswer(
            DecodeAnswer(response.LaunchSecretHeader, "LaunchSecretHeader"),
            DecodeAnswer(response.LaunchSecretData, "LaunchSecretData"));
    }

    /// <summary>The secret entry kata's offline KBC asks for.</summary>
    public static RequestDetails KataBundleRequest(string keysetId, Guid? guid = null) => new()
    {
        Guid = (guid ?? KnownGuids.KeysetBundle).ToString(),
        Format = KataFormat,
        SecretType = BundleSecretType,
        Id = keysetId,
    };

    /// <summary>
    /// The protocol carries one chain file that starts with the PDH (PDH ‖ PEK ‖ OCA ‖ CEK, or a full export).
    /// A chain that already starts with the given PDH, or no separate PDH, is sent as it is; otherwise the PDH
    /// goes in front of the cert_chain.cert (PEK ‖ OCA ‖ CEK) the Setup protocol sends separately.
    /// </summary>
    public static byte[] ChainWithPdh(byte[] pdh, byte[] chain) =>
        pdh.Length == 0 || chain.AsSpan().StartsWith(pdh) ? chain : [.. pdh, .. chain];

    private static byte[] DecodeAnswer(string text, string field)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new CliVerificationException($"the server's {field} is not valid base64");
        }
    }

    public void Dispose() => _channel.Dispose();
}
