namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>
/// SHA-256 fingerprints of AMD's published ARK certificate files, one per CPU generation (the same files
/// virtee/sev ships as builtin roots). Public values: a root is trusted only when its bytes hash to one
/// of these, or to a fingerprint the operator explicitly allows.
/// </summary>
public static class AmdRootPins
{
    public const string Naples = "dedabca561e1dece8cc00b7bda864cf5f20b95017864408cfe18eaee0dce24b9";
    public const string Rome = "865977b268c16d5b27772b00aaefb4e737ba9499e818ed8e9f65b0cecefbc529";
    public const string Milan = "1246469862b78a7a8625579b0378d1f8e975eb8b82a1623b579d7968a5969888";
    public const string Genoa = "8f4e3fd36589c23f1fe0c8338465bac7e2e066d97fc92f228bbee4fd356fb674";
    public const string Turin = "f6405e5096a6eee1eb7d5df75c49f9b9f7c8357a31c7fff150149d68588a7bf7";

    /// <summary>Generation name → ARK fingerprint (lowercase hex).</summary>
    public static IReadOnlyDictionary<string, string> ByGeneration { get; } = new Dictionary<string, string>
    {
        ["naples"] = Naples,
        ["rome"] = Rome,
        ["milan"] = Milan,
        ["genoa"] = Genoa,
        ["turin"] = Turin,
    };

    /// <summary>The generation whose ARK has this fingerprint (case-insensitive hex), or null.</summary>
    public static string? GenerationOf(string fingerprint)
    {
        foreach (var (name, pin) in ByGeneration)
        {
            if (string.Equals(pin, fingerprint, StringComparison.OrdinalIgnoreCase))
                return name;
        }
        return null;
    }
}
