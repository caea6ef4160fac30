using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Crypto.Launch;

/// <summary>An expected launch digest, named after the image or digest entry it came from.</summary>
public sealed record DigestCandidate(string Name, byte[] Digest);

/// <summary>Which candidate and formula reproduced the platform's measurement.</summary>
public sealed record MeasurementMatch(string CandidateName, byte[] Digest, MeasurementFormula Formula, byte[] Measure);

public static class MeasurementVerifier
{
    /// <summary>
    /// Tries every candidate digest under every formula and returns the match, or null. All
    /// combinations are computed and compared in constant time whatever matches, so timing does not
    /// reveal which digest or formula was right. Formulas that cannot encode the parameters (an API or
    /// build above 255 for a one-byte field) are skipped, not errors: another formula may still apply.
    /// </summary>
    public static MeasurementMatch? Verify(
        ILaunchCrypto crypto,
        ReadOnlySpan<byte> tik,
        ReadOnlySpan<byte> measurementBlob,
        MeasurementParameters parameters,
        IEnumerable<DigestCandidate> candidates,
        IEnumerable<MeasurementFormula> formulas)
    {
        ArgumentNullException.ThrowIfNull(crypto);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(formulas);
        var measurement = LaunchMeasurement.Parse(measurementBlob);
        // A digest of the wrong length is a configuration or programming error, not a "formula that does not
        // apply": skipping it silently would turn a broken keyset into an unexplained measurement mismatch.
        var candidateList = candidates.ToList();
        foreach (var candidate in candidateList)
        {
            if (candidate is null)
                throw new ArgumentException("digest candidate list contains null", nameof(candidates));
            if (candidate.Digest is null || candidate.Digest.Length != LaunchMeasurement.DigestSize)
                throw new ArgumentException(
                    $"digest candidate '{candidate.Name}' has {candidate.Digest?.Length ?? 0} bytes, a launch digest is {LaunchMeasurement.DigestSize}",
                    nameof(candidates));
        }
        MeasurementMatch? match = null;
        foreach (var formula in formulas)
        {
            if (MeasurementFormulas.PlatformOf(formula) != crypto.Platform)
                continue;
            foreach (var candidate in candidateList)
            {
                byte[] expected;
                try
                {
                    expected = LaunchMeasurement.ComputeMeasure(crypto, formula, tik, parameters, candidate.Digest, measurement.Mnonce);
                }
                catch (CryptoFormatException)
                {
                    continue;
                }
                bool equal = CryptographicOperations.FixedTimeEquals(expected, measurement.Measure);
                if (equal && match is null)
                    match = new MeasurementMatch(candidate.Name, candidate.Digest, formula, measurement.Measure);
            }
        }
        return match;
    }
}
