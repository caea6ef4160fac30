using GuestOwnerProxy.Server.Broker;
using GuestOwnerProxy.Server.Configuration;

namespace GuestOwnerProxy.Server.Policy;

/// <summary>
/// The keyset checks of the original server that need no session (policy, API major, API minor, build),
/// in the original order, with the config.md semantics (min-build-id, 64-bit build ids).
/// </summary>
public static class KeysetPolicy
{
    /// <summary>Returns the first failing check, or null when the request passes them all.</summary>
    public static DenialReason? Check(KeysetDefinition keyset, SecretRequestFacts request)
    {
        if (!keyset.AllowedPolicies.Contains(request.Policy))
            return DenialReason.PolicyInvalid;

        // The measurement carries the versions as one byte each: larger values are malformed, not "newer".
        // Each version is checked completely (range, then minimum) in the original order: major, then minor.
        if (request.ApiMajor is < 0 or > 255)
            return DenialReason.ApiMajorOutOfRange;
        if (request.ApiMajor < keyset.MinApiMajor)
            return DenialReason.ApiMajorInvalid;
        if (request.ApiMinor is < 0 or > 255)
            return DenialReason.ApiMinorOutOfRange;
        if (request.ApiMajor == keyset.MinApiMajor && request.ApiMinor < keyset.MinApiMinor)
            return DenialReason.ApiMinorInvalid;

        if (!keyset.AllowsBuild(request.BuildId))
            return DenialReason.BuildIdInvalid;

        return null;
    }
}
