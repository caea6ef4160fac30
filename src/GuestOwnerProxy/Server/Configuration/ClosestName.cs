namespace GuestOwnerProxy.Server.Configuration;

/// <summary>
/// The known name an operator most likely meant by a name that is not known: for unknown keyset fields, unknown
/// settings and the command line's unknown commands and options alike, so all of them suggest by one rule.
/// </summary>
public static class ClosestName
{
    /// <summary>
    /// The closest of <paramref name="known"/> (the first declared on a tie), or null when none is close: at most a third
    /// of the name may be wrong (at least one edit is allowed), where letter case and '_' versus '-' cost nothing,
    /// since keysets.json itself mixes "allowed_keys" with "allowed-policies".
    /// </summary>
    public static string? For(string name, IEnumerable<string> known)
    {
        int allowed = Math.Max(1, name.Length / 3);
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            int distance = Distance(name, candidate);
            if (distance <= allowed && distance < bestDistance)
                (best, bestDistance) = (candidate, distance);
        }
        return best;
    }

    /// <summary>Edit distance with adjacent transpositions (optimal string alignment); case and '_'/'-' are not differences.</summary>
    public static int Distance(string a, string b)
    {
        a = Fold(a);
        b = Fold(b);
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

    private static string Fold(string s) => s.ToLowerInvariant().Replace('_', '-');
}
