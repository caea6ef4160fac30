using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Crypto.Certificates;

/// <summary>What a successful chain verification proved, for the audit log and for keyset pinning.</summary>
public sealed record ChainVerificationResult(
    PlatformKind Platform,
    /// <summary>Lowercase hex SHA-256 of the CEK's public key (X ‖ Y big-endian): the chip identity.</summary>
    string ChipId,
    /// <summary>Lowercase hex SHA-256 of the root certificate that anchored the chain.</summary>
    string RootFingerprint,
    /// <summary>True when the root is one of the built-in pins, false for an operator-allowed extra root.</summary>
    bool RootPinned,
    /// <summary>"hygon", or the AMD CPU generation ("naples", "rome", ...), or "extra" for an allowed extra root.</summary>
    string RootName,
    /// <summary>The links that were checked, in order ("HRK self", "HRK->HSK", ...).</summary>
    IReadOnlyList<string> VerifiedLinks);
