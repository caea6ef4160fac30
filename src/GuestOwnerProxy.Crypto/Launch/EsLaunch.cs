using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Crypto.Launch;

/// <summary>
/// How the launch digest of an SEV-ES-style guest is formed on a platform. Every scheme hashes
/// OVMF ‖ kernel-hashes table ‖ VMSA(BSP) ‖ VMSA(AP) × (vcpus − 1); they differ in the hash and in how sure we are.
/// A new candidate (should a real CSV2 launch show another construction) is one more entry here.
/// </summary>
public enum EsDigestScheme
{
    /// <summary>AMD SEV-ES: SHA-256, as the PSP's LAUNCH_UPDATE_VMSA (confirmed by kata's and sevctl's vectors).</summary>
    SevEs,
    /// <summary>Hygon CSV2: SM3 like the rest of CSV. UNCONFIRMED: no public CSV2 launch digest exists yet.</summary>
    Csv2Sm3,
}

public static class EsDigestSchemes
{
    public static string Name(EsDigestScheme scheme) => scheme == EsDigestScheme.SevEs ? "sev-es" : "csv2-sm3";

    public static PlatformKind PlatformOf(EsDigestScheme scheme) =>
        scheme == EsDigestScheme.SevEs ? PlatformKind.Sev : PlatformKind.Csv;

    /// <summary>False while no real launch has confirmed the scheme (CSV2): operators are warned when they rely on it.</summary>
    public static bool IsConfirmed(EsDigestScheme scheme) => scheme == EsDigestScheme.SevEs;

    /// <summary>The scheme a platform's ES launches are measured with.</summary>
    public static EsDigestScheme For(PlatformKind platform) =>
        platform == PlatformKind.Sev ? EsDigestScheme.SevEs : EsDigestScheme.Csv2Sm3;
}

/// <summary>The policy bit that makes a launch SEV-ES (CSV2 on Hygon): the digest then covers the VMSA pages.</summary>
public static class GuestPolicyBits
{
    public const uint Es = 0x4;

    public static bool IsEs(uint policy) => (policy & Es) != 0;
}

/// <summary>The vCPU facts an ES digest depends on besides the firmware: signature and host kernel's VMSA layout.</summary>
public sealed record EsVcpuModel(uint Signature, VmsaLayout Layout)
{
    /// <summary>The largest vCPU count the proxy computes digests for (each count is one more VMSA page to hash).</summary>
    public const int MaxVcpus = 512;

    public override string ToString() => $"vcpu-sig {VcpuSignature.Format(Signature)}, vmsa-layout {VmsaLayouts.Name(Layout)}";
}

/// <summary>One ES launch digest: the vCPU count it holds for.</summary>
public sealed record EsLaunchDigest(int Vcpus, byte[] Digest);

/// <summary>ES launch digests for several vCPU counts of one image, with the facts that produced them.</summary>
public sealed record EsLaunchDigestResult(
    IReadOnlyList<EsLaunchDigest> Digests, byte[]? HashTable, OvmfFooter Footer, uint ApResetEip, EsDigestScheme Scheme)
{
    public byte[] For(int vcpus) => Digests.First(d => d.Vcpus == vcpus).Digest;
}

/// <summary>
/// vCPU counts as operators write them: one number ("4"), a comma list ("1,2,4") or a range ("1-8"), mixed freely
/// ("1-4,8"). The same syntax in keysets.json and on the command line.
/// </summary>
public static class VcpuCounts
{
    public static IReadOnlyList<int> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new CryptoFormatException("vCPU counts missing (a number, a list \"1,2,4\" or a range \"1-8\")");
        var counts = new SortedSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length is < 1 or > 2 || !bounds.All(b => int.TryParse(b, System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out _)))
                throw new CryptoFormatException($"'{part}' in vCPU counts '{text}' is not a number or a range such as 1-8");
            int low = int.Parse(bounds[0], System.Globalization.CultureInfo.InvariantCulture);
            int high = bounds.Length == 2 ? int.Parse(bounds[1], System.Globalization.CultureInfo.InvariantCulture) : low;
            if (high < low)
                throw new CryptoFormatException($"vCPU range '{part}' is empty (its end is below its start)");
            Check(low);
            Check(high);
            for (int n = low; n <= high; n++)
                counts.Add(n);
        }
        return counts.ToList();
    }

    public static void Check(long count)
    {
        if (count is < 1 or > EsVcpuModel.MaxVcpus)
            throw new CryptoFormatException($"vCPU count {count} is out of range (1..{EsVcpuModel.MaxVcpus})");
    }

    /// <summary>Compact form for logs and check-config: "1-8", "1-4,8".</summary>
    public static string Format(IReadOnlyList<int> counts)
    {
        var parts = new List<string>();
        for (int i = 0; i < counts.Count;)
        {
            int j = i;
            while (j + 1 < counts.Count && counts[j + 1] == counts[j] + 1)
                j++;
            parts.Add(j == i ? $"{counts[i]}" : $"{counts[i]}-{counts[j]}");
            i = j + 1;
        }
        return string.Join(",", parts);
    }
}
