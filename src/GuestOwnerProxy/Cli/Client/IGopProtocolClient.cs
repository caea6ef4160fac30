namespace GuestOwnerProxy.Cli.Client;

/// <summary>What a platform sends for a launch bundle (the files kata's host exports).</summary>
public sealed record BundleQuery(byte[] PlatformPublicKey, byte[] CertificateChain, int Policy);

/// <summary>The bundle as the server sent it. Fields are the bytes on the wire: raw binary or base64 text,
/// depending on the server's per-platform bundle encoding. <see cref="ConnectionId"/> is a string so that
/// the keybroker protocol's UUID launch ids fit the same shape.</summary>
public sealed record BundleAnswer(byte[] GuestOwnerPublicKey, byte[] LaunchBlob, string ConnectionId);

/// <param name="FwDigest">The launch digest as the host computed it (keybroker only: sent as FwDigest; the
/// server accepts it only when it is one of the keyset's digests). Null: not sent.</param>
/// <param name="BundleGuid">Keybroker only: the GUID the keyset bundle entry is requested at (null: the
/// well-known bundle GUID kata uses). Setup has no such field: the keyset's secret-guid decides.</param>
public sealed record SecretQuery(
    byte[] LaunchMeasurement, string ConnectionId, int ApiMajor, int ApiMinor, int BuildId, int Policy, string KeysetId,
    byte[]? FwDigest = null, Guid? BundleGuid = null);

/// <summary>The LAUNCH_SECRET packet, raw binary.</summary>
public sealed record SecretAnswer(byte[] Header, byte[] Data);

/// <summary>
/// The wire protocol a client speaks. <c>setup</c> is the original guest owner proxy service
/// (<c>/Setup/GetLaunchBundle</c>); <c>keybroker</c> is simple-kbs's <c>keybroker.KeyBrokerService</c>.
/// Implementations throw <see cref="Grpc.Core.RpcException"/> for errors the server answered.
/// </summary>
public interface IGopProtocolClient : IDisposable
{
    Task<BundleAnswer> GetBundleAsync(BundleQuery query, CancellationToken cancellationToken);

    Task<SecretAnswer> GetSecretAsync(SecretQuery query, CancellationToken cancellationToken);
}
