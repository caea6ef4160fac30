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

    /// <summary>Edit distance with adjacent transpositions (optimal string alignment), case-insensitive.</summary>
    public static int Distance(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
