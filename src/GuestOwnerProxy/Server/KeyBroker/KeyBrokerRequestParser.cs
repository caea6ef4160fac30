using GuestOwnerProxy.Protocol.KeyBroker;
using GuestOwnerProxy.Server.Policy;

namespace GuestOwnerProxy.Server.KeyBroker;

/// <summary>
/// Wire-level validation of keybroker requests. Everything here is about the shape of the request
/// (base64, UUIDs, GUIDs, secret types and formats); what a keyset allows is the broker's business.
/// Messages name the field and, for public values, quote them; measurements and digests are never echoed.
/// A field that does not parse raises <see cref="LaunchDeniedException"/>; the service hands it to the broker's
/// <see cref="Broker.DecisionRecorder.RefuseAtEdge"/>, which audits it.
/// </summary>
public static class KeyBrokerRequestParser
{
    public const string TypeBundle = "bundle";
    public const string TypeKey = "key";
    /// <summary>simple-kbs types this broker does not serve (online KBC and attestation report).</summary>
    public static readonly IReadOnlyList<string> UnsupportedTypes = ["resource", "connection", "report"];

    public const string FormatJson = "json";
    public const string FormatBinary = "binary";

    private const int DigestSize = 32;
    private const int MaxEntries = 64;

    public static byte[] CertificateChain(BundleRequest request) =>
        DecodeBase64(request.CertificateChain, DenialReason.CertificateInvalid, "CertificateChain");

    /// <summary>
    /// The keyset is the Id of the request's <c>bundle</c> entries (kata's offline KBC puts the keyset id there);
    /// a request for single keys only names it in <c>LaunchDescription</c>. All bundle entries must name the same keyset.
    /// </summary>
    public static KeyBrokerSecretQuery Secret(SecretRequest request)
    {
        var launchId = LaunchId(request.LaunchId);
        var measurement = DecodeBase64(request.LaunchMeasurement, DenialReason.MeasurementMalformed, "LaunchMeasurement");
        byte[]? fwDigest = null;
        if (request.FwDigest.Length > 0)
        {
            fwDigest = DecodeBase64(request.FwDigest, DenialReason.FwDigestMalformed, "FwDigest");
            if (fwDigest.Length != DigestSize)
                throw new LaunchDeniedException(DenialReason.FwDigestMalformed.With(
                    $"FwDigest is {fwDigest.Length} bytes, a launch digest has {DigestSize}"));
        }

        var entries = Entries(request.SecretRequests);
        var keysets = entries.Where(e => e.Kind == SecretEntryKind.KeysetBundle).Select(e => e.Id).Distinct(StringComparer.Ordinal).ToList();
        if (keysets.Count > 1)
            throw Invalid($"the bundle entries name different keysets ({string.Join(", ", keysets.Take(4).Select(k => $"'{Quote(k)}'"))}); one request releases one keyset");
        string keyset = keysets.Count == 1 ? keysets[0] : request.LaunchDescription;
        if (string.IsNullOrEmpty(keyset))
            throw new LaunchDeniedException(DenialReason.KeysetMissing);

        return new KeyBrokerSecretQuery(
            launchId, measurement, fwDigest, keyset, request.Policy,
            ApiVersion(request.ApiMajor), ApiVersion(request.ApiMinor), request.BuildId, entries);
    }

    public static Guid LaunchId(string text)
    {
        if (string.IsNullOrEmpty(text))
            throw new LaunchDeniedException(DenialReason.LaunchIdMalformed.With("LaunchId is empty (GetBundle answers one)"));
        if (!Guid.TryParseExact(text, "D", out var id))
            throw new LaunchDeniedException(DenialReason.LaunchIdMalformed.With($"LaunchId '{Quote(text)}' is not a UUID"));
        return id;
    }

    private static List<SecretEntryRequest> Entries(IReadOnlyList<RequestDetails> details)
    {
        if (details.Count == 0)
            throw Invalid("SecretRequests is empty: nothing to release");
        if (details.Count > MaxEntries)
            throw Invalid($"{details.Count} SecretRequests, at most {MaxEntries}");
        var entries = new List<SecretEntryRequest>(details.Count);
        var guids = new HashSet<Guid>();
        for (int i = 0; i < details.Count; i++)
        {
            var entry = Entry(details[i], $"SecretRequests[{i}]");
            if (!guids.Add(entry.Guid))
                throw Invalid($"SecretRequests[{i}].Guid {entry.Guid} is requested twice; a secret table holds each GUID once");
            entries.Add(entry);
        }
        return entries;
    }

    private static SecretEntryRequest Entry(RequestDetails details, string field)
    {
        string type = details.SecretType.ToLowerInvariant();
        if (UnsupportedTypes.Contains(type))
            throw new LaunchDeniedException(DenialReason.SecretTypeUnsupported.With(
                $"{field}: '{type}' secrets are not served by this broker (only 'bundle' and 'key'; no online KBC or attestation reports)"));
        var kind = type switch
        {
            TypeBundle => SecretEntryKind.KeysetBundle,
            TypeKey => SecretEntryKind.Key,
            _ => throw Invalid($"{field}.SecretType '{Quote(details.SecretType)}' is not a secret type (bundle, key, resource, connection, report)"),
        };
        if (!Guid.TryParseExact(details.Guid, "D", out var guid))
            throw Invalid($"{field}.Guid '{Quote(details.Guid)}' is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
        if (guid == Guid.Empty)
            throw Invalid($"{field}.Guid is the nil GUID, which marks an unused secret table entry");
        if (string.IsNullOrEmpty(details.Id))
            throw Invalid($"{field}.Id is empty: a {type} entry names its {(kind == SecretEntryKind.Key ? "key" : "keyset")}");

        // kata sends "JSON": formats compare case-insensitively. No format means JSON, kata's choice.
        var format = details.Format.ToLowerInvariant() switch
        {
            "" or FormatJson => SecretEntryFormat.Json,
            FormatBinary => SecretEntryFormat.Binary,
            _ => throw Invalid($"{field}.Format '{Quote(details.Format)}' is not a format (binary, json)"),
        };
        if (kind == SecretEntryKind.KeysetBundle && format != SecretEntryFormat.Json)
            throw Invalid($"{field}: a keyset bundle is a JSON object of keys; Format must be json");
        return new SecretEntryRequest(guid, kind, details.Id, format);
    }

    // The measurement carries API versions as one byte: anything wider stays out of range (KeysetPolicy says so).
    private static int ApiVersion(uint value) => (int)Math.Min(value, int.MaxValue);

    private static byte[] DecodeBase64(string text, DenialReason reason, string field)
    {
        if (text.Length == 0)
            return [];
        var buffer = new byte[(text.Length + 3) / 4 * 3];
        if (!Convert.TryFromBase64String(text, buffer, out int written))
            throw new LaunchDeniedException(reason.With($"{field} is not valid base64"));
        return buffer[..written];
    }

    private static LaunchDeniedException Invalid(string explanation) =>
        new(DenialReason.SecretRequestInvalid.With(explanation));

    private static string Quote(string text) => Logging.ClientText.Quote(text);
}
