namespace GuestOwnerProxy.Server.Policy;

/// <summary>How a denial travels on the wire: the status class, the detail string clients print
/// (<c>GRPC Error: &lt;detail&gt;</c>) and a stable machine-readable reason code (google.rpc.ErrorInfo).</summary>
public enum DenialStatus
{
    InvalidArgument,
    ResourceExhausted,
    NotFound,
    Unimplemented,
    Internal,
    /// <summary>A dependency (the session store) cannot be reached now; the same request may succeed later.</summary>
    Unavailable,
    /// <summary>Stored state that cannot be read back (a sealed session no key opens); retrying cannot help.</summary>
    DataLoss,
}

/// <summary>
/// Every reason a bundle or secret can be refused. The seven original detail strings are kept
/// exactly (kata users grep for them); new reasons keep the original string as a prefix when they
/// refine one of its checks, so the grep still finds them.
/// </summary>
public sealed record DenialReason(string Code, string Detail, DenialStatus Status = DenialStatus.InvalidArgument)
{
    public const string ErrorDomain = "guest-owner-proxy";

    // The original seven checks of GetLaunchSecret, in the original server's order.
    public static readonly DenialReason KeysetInvalid = new("KEYSET_INVALID", "KEYSET INVALID");
    public static readonly DenialReason PolicyInvalid = new("POLICY_INVALID", "POLICY INVALID");
    public static readonly DenialReason ApiMajorInvalid = new("API_MAJOR_VERSION_INVALID", "API MAJOR VERSION INVALID");
    public static readonly DenialReason ApiMinorInvalid = new("API_MINOR_VERSION_INVALID", "API MINOR VERSION INVALID");
    public static readonly DenialReason BuildIdInvalid = new("BUILD_ID_INVALID", "BUILD-ID INVALID");
    public static readonly DenialReason ConnectionIdInvalid = new("CONNECTION_ID_INVALID", "CONNECTION ID INVALID");
    public static readonly DenialReason MeasurementInvalid = new("MEASUREMENT_INVALID", "MEASUREMENT INVALID");

    // Refinements (same detail prefix, distinct codes).
    // The measurement carries API versions as one byte each; one code, the detail names the field.
    public static readonly DenialReason ApiMajorOutOfRange = new("API_VERSION_OUT_OF_RANGE", "API MAJOR VERSION INVALID: API versions are one byte (0..255)");
    public static readonly DenialReason ApiMinorOutOfRange = new("API_VERSION_OUT_OF_RANGE", "API MINOR VERSION INVALID: API versions are one byte (0..255)");
    public static readonly DenialReason PolicyMismatch = new("POLICY_MISMATCH", "POLICY INVALID: policy differs from the one the launch bundle was issued for");
    public static readonly DenialReason KeysetPlatformMismatch = new("KEYSET_PLATFORM_MISMATCH", "KEYSET INVALID: keyset is not for this session's platform");
    public static readonly DenialReason ChipNotAllowed = new("CHIP_NOT_ALLOWED", "KEYSET INVALID: platform chip is not allowed for this keyset");
    /// <summary>The measurement matched, but under a formula that leaves the claimed build id out (use <see cref="BuildIdNotMeasuredBy"/>).</summary>
    public static readonly DenialReason BuildIdNotMeasured = new("BUILD_ID_NOT_MEASURED", "BUILD-ID INVALID");
    public static readonly DenialReason MeasurementMalformed = new("MEASUREMENT_MALFORMED", "MEASUREMENT INVALID: launch measurement must be 48 bytes (measure 32 + mnonce 16)");

    // Bundle failures.
    public static readonly DenialReason PlatformKeyMissing = new("PLATFORM_PUBLIC_KEY_MISSING", "PLATFORM PUBLIC KEY INVALID: no PDH certificate in the request");
    public static readonly DenialReason PlatformUnrecognized = new("PLATFORM_UNRECOGNIZED", "PLATFORM PUBLIC KEY INVALID: not a Hygon CSV or AMD SEV PDH certificate");
    public static readonly DenialReason CertificateInvalid = new("CERTIFICATE_INVALID", "CERTIFICATE INVALID");
    public static readonly DenialReason ChainInvalid = new("CERTIFICATE_CHAIN_INVALID", "CERTIFICATE CHAIN INVALID");
    /// <summary>A session opened under trust that has since changed: its chain no longer verifies (root or intermediate removed).</summary>
    public static readonly DenialReason ChainRevoked = new("CERTIFICATE_CHAIN_REVOKED",
        "CERTIFICATE CHAIN INVALID: the platform's chain no longer verifies under the current trust");
    public static readonly DenialReason TooManySessions = new("TOO_MANY_SESSIONS", "TOO MANY SESSIONS: retry later", DenialStatus.ResourceExhausted);
    public static readonly DenialReason ClientQuotaExceeded = new("CLIENT_SESSION_QUOTA",
        "TOO MANY SESSIONS: this client already holds the most live sessions one client may (GuestOwnerProxy:Sessions:MaxPerClient); retry later",
        DenialStatus.ResourceExhausted);
    public static readonly DenialReason RateLimited = new("RATE_LIMITED",
        "TOO MANY REQUESTS: this client exceeds GuestOwnerProxy:RateLimit; retry later", DenialStatus.ResourceExhausted);

    // Keybroker protocol (simple-kbs's keybroker.KeyBrokerService).
    public static readonly DenialReason LaunchIdUnknown = new("LAUNCH_ID_UNKNOWN",
        "LAUNCH ID INVALID: no live session for this launch id (unknown, expired or already used)", DenialStatus.NotFound);
    public static readonly DenialReason FwDigestNotAllowed = new("FW_DIGEST_NOT_ALLOWED",
        "FW DIGEST INVALID: FwDigest is not one of the keyset's allowed digests or image digests (the host computes it; it is not trusted)");
    public static readonly DenialReason KeyNotInKeyset = new("KEY_NOT_IN_KEYSET", "KEYSET INVALID: key is not in the keyset's allowed_keys");
    // Refusals of the keybroker wire format (base64 fields, UUID launch ids, secret entries); detail strings
    // follow the Setup ones: an upper-case check name first, then the explanation.
    public static readonly DenialReason LaunchIdMalformed = new("LAUNCH_ID_MALFORMED", "LAUNCH ID INVALID");
    public static readonly DenialReason FwDigestMalformed = new("FW_DIGEST_MALFORMED", "FW DIGEST INVALID");
    public static readonly DenialReason SecretRequestInvalid = new("SECRET_REQUEST_INVALID", "SECRET REQUEST INVALID");
    public static readonly DenialReason SecretTypeUnsupported = new("SECRET_TYPE_UNSUPPORTED", "SECRET TYPE UNSUPPORTED", DenialStatus.Unimplemented);
    public static readonly DenialReason OnlineSecretUnsupported = new("ONLINE_SECRET_UNSUPPORTED",
        "ONLINE SECRET UNSUPPORTED: GetOnlineSecret (the online KBC's AES-256-GCM channel) is not served by this broker; use GetSecret with 'bundle' or 'key' secrets",
        DenialStatus.Unimplemented);
    public static readonly DenialReason KeysetMissing = new("KEYSET_MISSING",
        "KEYSET INVALID: no keyset named: ask for a 'bundle' secret whose Id is the keyset, or set LaunchDescription to the keyset id");

    // Requests whose body is not the method's message at all (checked before any service sees them).
    public static readonly DenialReason RequestMalformed = new("REQUEST_MALFORMED", "REQUEST INVALID");
    public static readonly DenialReason RequestTooLarge = new("REQUEST_TOO_LARGE", "REQUEST TOO LARGE", DenialStatus.ResourceExhausted);

    // The session store (Sessions:Store = redis). Fail closed: never a fallback to memory, which would break single use
    // across replicas.
    public static readonly DenialReason SessionStoreUnavailable = new("SESSION_STORE_UNAVAILABLE",
        "SESSION STORE UNAVAILABLE: the session store cannot be reached; retry later", DenialStatus.Unavailable);
    public static readonly DenialReason SessionSealedWithUnknownKey = new("SESSION_SEALING_KEY_UNKNOWN",
        "SESSION STORE UNAVAILABLE: the session is sealed with a key this replica does not have (a sealing key rotation in progress?); retry later",
        DenialStatus.Unavailable);
    public static readonly DenialReason SessionUnreadable = new("SESSION_UNREADABLE",
        "SESSION INVALID: the stored session does not unseal (the value was altered in the store); start a new launch",
        DenialStatus.DataLoss);

    public static readonly DenialReason InternalError = new("INTERNAL_ERROR", "INTERNAL ERROR", DenialStatus.Internal);

    public static DenialReason BuildIdNotMeasuredBy(string formula) =>
        BuildIdNotMeasured.With($"the measurement matched {formula}, which does not cover the firmware build id");

    /// <summary>The same code with an explanation appended to the detail (never secret material).</summary>
    public DenialReason With(string explanation) => this with { Detail = $"{Detail}: {explanation}" };
}

/// <summary>A denial on its way to the one place that maps it to a gRPC status (<c>DenialInterceptor</c>):
/// raised by the adapters from a broker decision or a wire field that does not parse, never by the broker.</summary>
public sealed class LaunchDeniedException : Exception
{
    public LaunchDeniedException(DenialReason reason, Exception? inner = null)
        : base(reason.Detail, inner) => Reason = reason;

    public DenialReason Reason { get; }
}
