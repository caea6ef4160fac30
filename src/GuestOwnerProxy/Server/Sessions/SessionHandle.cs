using GuestOwnerProxy.Server.Broker;

namespace GuestOwnerProxy.Server.Sessions;

/// <summary>
/// How a secret request names its session: the Setup protocol by the connection id its bundle answered,
/// keybroker by the launch id UUID. One session answers to both (the store indexes it twice).
/// </summary>
public readonly record struct SessionHandle
{
    private SessionHandle(int? connectionId, Guid? launchId)
    {
        ConnectionId = connectionId;
        LaunchId = launchId;
    }

    public int? ConnectionId { get; }
    public Guid? LaunchId { get; }

    public BrokerProtocol Protocol => LaunchId is null ? BrokerProtocol.Setup : BrokerProtocol.KeyBroker;

    public static SessionHandle ForConnection(int connectionId) => new(connectionId, null);

    public static SessionHandle ForLaunch(Guid launchId) => new(null, launchId);

    /// <summary>For log lines: the id the client used.</summary>
    public override string ToString() =>
        LaunchId?.ToString() ?? ConnectionId!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
