using GuestOwnerProxy.Server.Configuration;

namespace GuestOwnerProxy.Cli;

/// <summary>
/// "did you mean" for a mistyped command or option. System.CommandLine computes typo corrections only
/// inside its own error output (with its own wording and exit code 1), so gop, which words its errors
/// and exits 2, ranks the candidates itself.
/// </summary>
public static class Suggestions
{
    /// <summary>"; did you mean 'digest'?" for the closest names, or "" when none is close.</summary>
    public static string DidYouMean(string token, IEnumerable<string> candidates)
    {
        string word = token.TrimStart('-');
        // A third of the word may be wrong; one- and two-letter words (-x) are too short to guess from.
        int allowed = word.Length / 3;
        var close = candidates
            .Distinct(StringComparer.Ordinal)
            .Select(c => (Name: c, Distance: Distance(word, c.TrimStart('-'))))
            .Where(c => c.Distance <= allowed || (word.Length >= 2 && c.Name.TrimStart('-').StartsWith(word, StringComparison.OrdinalIgnoreCase)))
            .OrderBy(c => c.Distance)
            .Take(3)
            .Select(c => $"'{c.Name}'")
            .ToList();
        return close.Count == 0 ? "" : $"; did you mean {string.Join(" or ", close)}?";
    }

    /// <summary>The distance the configuration's suggestions use (<see cref="ClosestName.Distance"/>), so "--no_kernel_hashes" finds "--no-kernel-hashes" too.</summary>
    public static int Distance(string a, string b) => ClosestName.Distance(a, b);
}
