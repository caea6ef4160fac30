using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Broker;
using GuestOwnerProxy.Server.Policy;
using GuestOwnerProxy.Server.Sessions;

namespace GuestOwnerProxy.Server.Tests.Configuration;

/// <summary>Out-of-range minors are reported as minors, in the original check order.</summary>
public sealed class KeysetPolicyOrderTests
{
    private static readonly KeysetDefinition Keyset = new()
    {
        Id = "KS", AllowedKeys = ["k"], AllowedPolicies = new HashSet<uint> { 0 }, MinApiMajor = 1, MinApiMinor = 2,
        AllowedBuildIds = new HashSet<long> { 1600 },
    };

    private static DenialReason? Check(uint policy, int major, int minor, long build) =>
        KeysetPolicy.Check(Keyset, new SecretRequestFacts(SessionHandle.ForConnection(1), "KS", policy, major, minor, build, new byte[48], "test"));

    [Fact]
    public void Each_check_in_the_original_order()
    {
        Assert.Null(Check(0, 1, 2, 1600));
        Assert.Same(DenialReason.PolicyInvalid, Check(7, 300, 300, 1));
        Assert.Same(DenialReason.ApiMajorOutOfRange, Check(0, 300, 300, 1));
        Assert.Same(DenialReason.ApiMajorInvalid, Check(0, 0, 300, 1));
        Assert.Same(DenialReason.ApiMinorOutOfRange, Check(0, 1, 300, 1));
        Assert.Same(DenialReason.ApiMinorOutOfRange, Check(0, 2, -1, 1));
        Assert.Same(DenialReason.ApiMinorInvalid, Check(0, 1, 1, 1));
        Assert.Same(DenialReason.BuildIdInvalid, Check(0, 1, 2, 1));
        Assert.StartsWith("API MINOR VERSION INVALID: ", DenialReason.ApiMinorOutOfRange.Detail);
        Assert.StartsWith("API MAJOR VERSION INVALID: ", DenialReason.ApiMajorOutOfRange.Detail);
    }
}
