using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Crypto.Tests.RoundTrip;

/// <summary>What the guest owner knows about one launch: the image it approved and the session it made.</summary>
/// <param name="Vmsas">For a policy with the ES bit: the vCPU save areas LAUNCH_UPDATE_VMSA measures after the data.</param>
internal sealed record PlannedLaunch(uint Policy, byte[] Ovmf, byte[]? HashTable, byte[] ExpectedDigest, byte[][]? Vmsas = null);

/// <summary>
/// The guest-owner half of a launch, written only against the crypto core's public API
/// (docs/core-api.md), plus the choices a random session makes (policy, image, secret table).
/// </summary>
internal static class GuestOwnerSide
{
    public const string ImageCandidate = "approved image";

    /// <summary>What an operator configures for a lab platform: its root file, the root's fingerprint as an
    /// explicitly allowed extra root, and the platform's intermediate (hsk_cek or ASK).</summary>
    public static PlatformTrust TrustFor(ISoftwarePlatform platform, bool allowRoot = true) => new()
    {
        RootCertificates = [platform.RootCertificate],
        ExtraRootFingerprints = allowRoot ? [platform.RootFingerprint] : [],
        Intermediates = [platform.Intermediate],
    };

    public static PlatformEvidence EvidenceOf(ISoftwarePlatform platform) =>
        new(platform.PdhCertificate, platform.CertificateChain);

    public static MeasurementParameters Parameters(FirmwareVersion version, uint policy) =>
        new(version.ApiMajor, version.ApiMinor, version.BuildId, policy);

    public static MeasurementFormula FormulaFor(CsvMeasurementVariant variant) => variant switch
    {
        CsvMeasurementVariant.NoBuild => MeasurementFormula.CsvNoBuild,
        CsvMeasurementVariant.Build8 => MeasurementFormula.CsvBuild8,
        CsvMeasurementVariant.Build32 => MeasurementFormula.CsvBuild32,
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "no formula mapped for this simulator variant"),
    };

    /// <summary>Random low 16 bits (every flag, HSK/CEK version nibbles) and a minimum API the firmware meets.</summary>
    public static uint RandomPolicy(RoundTripRandom random, FirmwareVersion firmware)
    {
        uint flags = (uint)random.Next(1 << 16);
        int major = random.Next(firmware.ApiMajor + 1);
        int minor = major == firmware.ApiMajor ? random.Next(firmware.ApiMinor + 1) : random.Next(256);
        return flags | (uint)major << 16 | (uint)minor << 24;
    }

    /// <summary>A random "firmware image", sometimes followed by a random kernel hashes table (kernel-hashes=on).</summary>
    public static PlannedLaunch Plan(ILaunchCrypto crypto, RoundTripRandom random, uint policy)
    {
        byte[] ovmf = random.Bytes(random.Next(1, 24 * 1024));
        byte[]? table = random.Coin()
            ? KernelHashesTable.Build(random.Bytes(32), random.Bytes(32), random.Bytes(32))
            : null;
        // An ES launch (policy bit 0x4) also measures one save area per vCPU; their content is the host's business here.
        byte[][]? vmsas = GuestPolicyBits.IsEs(policy)
            ? Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Bytes(VmsaPage.Size)).ToArray()
            : null;
        byte[][] parts = [ovmf, .. table is null ? Array.Empty<byte[]>() : [table], .. vmsas ?? []];
        return new PlannedLaunch(policy, ovmf, table, LaunchDigest.Compute(crypto, parts), vmsas);
    }

    /// <summary>LAUNCH_UPDATE_DATA in random-sized pieces, as QEMU issues one command per region.</summary>
    public static void Load(ISoftwareLaunch launch, PlannedLaunch plan, RoundTripRandom random)
    {
        ReadOnlySpan<byte> rest = plan.Ovmf;
        while (!rest.IsEmpty)
        {
            int take = Math.Min(rest.Length, random.Next(1, 8192));
            launch.UpdateData(rest[..take]);
            rest = rest[take..];
        }
        if (plan.HashTable is not null)
            launch.UpdateData(plan.HashTable);
        foreach (var vmsa in plan.Vmsas ?? [])
            launch.UpdateVmsa(vmsa);
    }

    /// <summary>The approved digest among decoys a keyset might also list: the same image with the kernel hashes
    /// table toggled, and unrelated digests. The approved one sits at a random position.</summary>
    public static List<DigestCandidate> Candidates(ILaunchCrypto crypto, PlannedLaunch plan, RoundTripRandom random)
    {
        var toggled = plan.HashTable is null
            ? LaunchDigest.Compute(crypto, plan.Ovmf, KernelHashesTable.Build(new byte[32], new byte[32], new byte[32]))
            : LaunchDigest.Compute(crypto, plan.Ovmf);
        var list = new List<DigestCandidate>
        {
            new("kernel hashes toggled", toggled),
            new("other image", random.Bytes(32)),
        };
        list.Insert(random.Next(list.Count + 1), new DigestCandidate(ImageCandidate, plan.ExpectedDigest));
        return list;
    }

    /// <summary>1–5 entries with random GUIDs and sizes (empty data included) that fit the area once padded.</summary>
    public static SecretTable RandomTable(RoundTripRandom random, int areaSize = SecretTable.DefaultAreaSize)
    {
        var table = new SecretTable();
        int entries = random.Next(1, 6);
        for (int i = 0; i < entries; i++)
        {
            // Length + header + data, rounded up to 16, must stay within the area.
            int room = areaSize - table.Length - SecretTable.EntryHeaderSize - 15;
            if (room < 0)
                break;
            table.Add(random.Guid(), random.Bytes(random.Next(Math.Min(room, 600) + 1)));
        }
        return table;
    }

    /// <summary>The guest must see exactly the entries the owner put in, in order.</summary>
    public static void AssertDelivered(SecretTable sent, IReadOnlyList<GuestSecretEntry> received)
    {
        Assert.Equal(sent.Entries.Count, received.Count);
        for (int i = 0; i < received.Count; i++)
        {
            Assert.Equal(sent.Entries[i].Guid, received[i].Guid);
            Assert.Equal(sent.Entries[i].Data, received[i].Data);
        }
    }

    /// <summary>Runs <paramref name="body"/> and, when it fails, names the session so it can be replayed.</summary>
    public static void WithContext(RoundTripRandom random, Action body)
    {
        try
        {
            body();
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"round trip failed for {random}: {e.GetType().Name}: {e.Message}", e);
        }
    }
}
