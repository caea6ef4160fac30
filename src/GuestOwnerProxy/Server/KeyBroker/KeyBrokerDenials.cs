using GuestOwnerProxy.Server.Policy;

namespace GuestOwnerProxy.Server.KeyBroker;

/// <summary>
/// Refusals only the keybroker protocol can produce (base64 fields, UUID launch ids, secret entries).
/// Detail strings follow the Setup ones: an upper-case check name first, then the explanation.
/// </summary>
public static class KeyBrokerDenials
{
    public static readonly DenialReason LaunchIdMalformed = new("LAUNCH_ID_MALFORMED", "LAUNCH ID INVALID");
    public static readonly DenialReason FwDigestMalformed = new("FW_DIGEST_MALFORMED", "FW DIGEST INVALID");
    public static readonly DenialReason SecretRequestInvalid = new("SECRET_REQUEST_INVALID", "SECRET REQUEST INVALID");
    public static readonly DenialReason SecretTypeUnsupported = new("SECRET_TYPE_UNSUPPORTED", "SECRET TYPE UNSUPPORTED", DenialStatus.Unimplemented);
    public static readonly DenialReason OnlineSecretUnsupported = new("ONLINE_SECRET_UNSUPPORTED",
        "ONLINE SECRET UNSUPPORTED: GetOnlineSecret (the online KBC's AES-256-GCM channel) is not served by this broker; use GetSecret with 'bundle' or 'key' secrets",
        DenialStatus.Unimplemented);
    public static readonly DenialReason KeysetMissing = new("KEYSET_MISSING",
        "KEYSET INVALID: no keyset named: ask for a 'bundle' secret whose Id is the keyset, or set LaunchDescription to the keyset id");

    public static LaunchDeniedException Base64(DenialReason reason, string field) =>
        new(reason.With($"{field} is not valid base64"));
}
