using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Server.Tests.Infrastructure;

/// <summary>
/// What every simulated launch has, whichever protocol took its bundle: the simulated firmware after
/// LAUNCH_START, LAUNCH_UPDATE_DATA and LAUNCH_MEASURE, and the policy it was started with. The protocol
/// helpers (<see cref="SimulatedLaunch"/> for Setup, <c>KeyBrokerLaunch</c> for keybroker) add the wire shapes.
/// </summary>
public abstract class FirmwareLaunch : IDisposable
{
    protected FirmwareLaunch(ISoftwarePlatform platform, ISoftwareLaunch launch, uint policy)
    {
        Platform = platform;
        Launch = launch;
        Policy = policy;
        Measurement = launch.Measure();
    }

    /// <summary>LAUNCH_START on the firmware with the bundle's GODH and session blob, then the measured data and,
    /// for an SEV-ES/CSV2 launch, one LAUNCH_UPDATE_VMSA per vCPU.</summary>
    protected static ISoftwareLaunch Start(ISoftwarePlatform platform, byte[] godh, byte[] blob, uint policy, IEnumerable<byte[]> data,
        IEnumerable<byte[]>? vmsas = null)
    {
        var launch = platform.LaunchStart(godh, blob, policy);
        foreach (var part in data)
            launch.UpdateData(part);
        foreach (var vmsa in vmsas ?? [])
            launch.UpdateVmsa(vmsa);
        return launch;
    }

    public ISoftwarePlatform Platform { get; }
    public ISoftwareLaunch Launch { get; }
    public byte[] Measurement { get; }
    public uint Policy { get; }

    /// <summary>LAUNCH_SECRET with a packet as QEMU gets it; the entries the guest finds.</summary>
    protected IReadOnlyList<GuestSecretEntry> InjectPacket(byte[] header, byte[] data) => Launch.InjectSecret(header, data);

    public void Dispose() => Launch.Dispose();
}
