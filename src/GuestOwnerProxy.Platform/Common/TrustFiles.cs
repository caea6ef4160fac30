namespace GuestOwnerProxy.Platform;

internal static class TrustFiles
{
    public const string Pdh = "pdh.cert";
    public const string CertificateChain = "cert_chain.cert";
    public const string FullChain = "full_chain.cert";

    public static void Write(string directory, IEnumerable<(string Name, byte[] Bytes)> files)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        foreach (var (name, bytes) in files)
            File.WriteAllBytes(Path.Combine(directory, name), bytes);
    }
}
