using System.Buffers.Binary;
using CsCheck;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Platform;
using Org.BouncyCastle.Crypto.Engines;

namespace GuestOwnerProxy.Crypto.Tests.Properties;

/// <summary>Round trips stated as properties over generated inputs (CsCheck shrinks a failure to a small case).</summary>
public class RoundTripPropertyTests
{
    private static readonly Gen<CsvUsage> PlatformUsage = Gen.OneOf(CsvUsage.Oca, CsvUsage.Pek, CsvUsage.Pdh, CsvUsage.Cek);
    private static readonly Gen<CsvUsage> AnyUsage = Gen.OneOf(CsvUsage.Hrk, CsvUsage.Hsk, CsvUsage.Invalid, CsvUsage.Oca, CsvUsage.Pek, CsvUsage.Pdh, CsvUsage.Cek);
    private static readonly Gen<CsvAlgorithm> KeyAlgorithm = Gen.OneOf(CsvAlgorithm.Sm2Sign, CsvAlgorithm.Sm2KeyExchange);

    private static readonly Gen<CsvSignatureSlot> Slot =
        from usage in AnyUsage
        from algorithm in Gen.OneOf(CsvAlgorithm.None, CsvAlgorithm.Sm2Sign, CsvAlgorithm.Sm2KeyExchange)
        from r in Gen.Byte.Array[32]
        from s in Gen.Byte.Array[32]
        select new CsvSignatureSlot(usage, algorithm, r, s);

    private sealed record CsvFields(uint Version, byte ApiMajor, byte ApiMinor, CsvUsage Usage, CsvAlgorithm Algorithm,
        byte[] X, byte[] Y, byte[] UserId, byte[] Sid, CsvSignatureSlot Slot1, CsvSignatureSlot Slot2);

    private static readonly Gen<CsvFields> CsvCertificateFields =
        from version in Gen.UInt
        from apiMajor in Gen.Byte
        from apiMinor in Gen.Byte
        from usage in PlatformUsage
        from algorithm in KeyAlgorithm
        from x in Gen.Byte.Array[32]
        from y in Gen.Byte.Array[32]
        from userId in Gen.Byte.Array[0, CsvCertificateLayout.MaxUserIdLength]
        from sid in Gen.Byte.Array[CsvCertificateLayout.IdSize]
        from slot1 in Slot
        from slot2 in Slot
        select new CsvFields(version, apiMajor, apiMinor, usage, algorithm, x, y, userId, sid, slot1, slot2);

    [Fact]
    public void CsvCertificate_create_then_parse_gives_the_same_fields_and_bytes()
    {
        CsvCertificateFields.Sample(f =>
        {
            var created = CsvCertificate.Create(f.Version, f.ApiMajor, f.ApiMinor, f.Usage, f.Algorithm, f.X, f.Y, f.UserId, f.Sid, f.Slot1, f.Slot2);
            var bytes = created.ToArray();
            Assert.Equal(CsvCertificate.Size, bytes.Length);
            var parsed = CsvCertificate.Parse(bytes);
            Assert.Equal(bytes, parsed.ToArray());
            Assert.Equal((f.Version, f.ApiMajor, f.ApiMinor, f.Usage, f.Algorithm), (parsed.Version, parsed.ApiMajor, parsed.ApiMinor, parsed.Usage, parsed.Algorithm));
            Assert.Equal(f.X, parsed.PublicKeyX.ToArray());
            Assert.Equal(f.Y, parsed.PublicKeyY.ToArray());
            Assert.Equal(f.UserId, parsed.UserIdBytes.ToArray());
            Assert.Equal(f.Sid, parsed.Sid.ToArray());
            foreach (var (expected, actual) in new[] { (f.Slot1, parsed.Signature1), (f.Slot2, parsed.Signature2) })
            {
                Assert.Equal((expected.Usage, expected.Algorithm), (actual.Usage, actual.Algorithm));
                Assert.Equal(expected.R.ToArray(), actual.R.ToArray());
                Assert.Equal(expected.S.ToArray(), actual.S.ToArray());
            }
            Assert.True(CsvCertificate.LooksLikeCsv(bytes));
        }, iter: 300);
    }

    [Fact]
    public void CsvCaCertificate_create_then_parse_gives_the_same_fields_and_bytes()
    {
        var gen =
            from version in Gen.UInt
            from keyId in Gen.Byte.Array[16]
            from certifyingId in Gen.Byte.Array[16]
            from usage in Gen.OneOf(CsvUsage.Hrk, CsvUsage.Hsk)
            from x in Gen.Byte.Array[32]
            from y in Gen.Byte.Array[32]
            from userId in Gen.Byte.Array[0, CsvCertificateLayout.MaxUserIdLength]
            from r in Gen.Byte.Array[32]
            from s in Gen.Byte.Array[32]
            select (version, keyId, certifyingId, usage, x, y, userId, r, s);
        gen.Sample(t =>
        {
            var bytes = CsvCaCertificate.Create(t.version, t.keyId, t.certifyingId, t.usage, t.x, t.y, t.userId, t.r, t.s).ToArray();
            var parsed = CsvCaCertificate.Parse(bytes);
            Assert.Equal(bytes, parsed.ToArray());
            Assert.Equal((t.version, t.usage), (parsed.Version, parsed.Usage));
            Assert.Equal(t.keyId, parsed.KeyId.ToArray());
            Assert.Equal(t.certifyingId, parsed.CertifyingId.ToArray());
            Assert.Equal(t.userId, parsed.UserIdBytes.ToArray());
            Assert.Equal(t.r, parsed.SignatureR.ToArray());
            Assert.Equal(t.s, parsed.SignatureS.ToArray());
        }, iter: 300);
    }

    private static readonly Gen<List<(Guid Guid, byte[] Data)>> SecretEntries =
        Gen.Select(Gen.Guid, Gen.Byte.Array[0, 100], (g, d) => (g, d)).List[0, 20]
            .Where(list => list.All(e => e.g != Guid.Empty) && list.Select(e => e.g).Distinct().Count() == list.Count)
            .Select(list => list.Select(e => (e.g, e.d)).ToList());

    [Fact]
    public void SecretTable_build_is_read_back_by_the_guest_parser_with_the_same_entries()
    {
        SecretEntries.Sample(entries =>
        {
            var table = new SecretTable();
            foreach (var (guid, data) in entries)
                table.Add(guid, data);
            var built = table.Build();
            Assert.Equal(0, built.Length % 16);
            Assert.Equal(SecretTable.PaddedLengthFor(entries.Select(e => e.Data.Length)), built.Length);
            Assert.Equal((uint)table.Length, BinaryPrimitives.ReadUInt32LittleEndian(built.AsSpan(16)));

            // The simulated guest's efi_secret parser, written separately from SecretTable, sees the same entries.
            var area = new byte[SecretTable.DefaultAreaSize];
            built.CopyTo(area, 0);
            var seen = EfiSecretArea.Parse(area);
            Assert.Equal(entries.Select(e => e.Guid), seen.Select(e => e.Guid));
            Assert.Equal(entries.Select(e => Convert.ToHexString(e.Data)), seen.Select(e => Convert.ToHexString(e.Data)));
        }, iter: 300);
    }

    [Fact]
    public void SecretTable_refuses_what_does_not_fit_the_area()
    {
        Gen.Select(Gen.Int[0, 4000], Gen.Int[16, 4096], (n, area) => (n, area)).Sample(t =>
        {
            var table = new SecretTable().Add(KnownGuids.KeysetBundle, new byte[t.n]);
            if (table.PaddedLength <= t.area)
                Assert.Equal(table.PaddedLength, table.Build(t.area).Length);
            else
                Assert.Throws<CryptoFormatException>(() => table.Build(t.area));
        }, iter: 300);
    }

    public static TheoryData<PlatformKind> Platforms => new() { PlatformKind.Csv, PlatformKind.Sev };

    [Theory]
    [MemberData(nameof(Platforms))]
    public void Ctr_decrypt_after_encrypt_is_the_identity_and_matches_the_firmware(PlatformKind kind)
    {
        var crypto = PlatformRegistry.Default.For(kind).Crypto;
        var gen =
            from key in Gen.Byte.Array[16]
            from iv in Gen.OneOf(Gen.Byte.Array[16], Gen.Const(Enumerable.Repeat((byte)0xff, 16).ToArray()),
                Gen.Byte.Array[16].Select(b => { b.AsSpan(8).Fill(0xff); return b; }))
            from plain in Gen.Byte.Array[0, 200]
            select (key, iv, plain);
        gen.Sample(t =>
        {
            var cipher = new byte[t.plain.Length];
            crypto.CtrTransform(t.key, t.iv, t.plain, cipher);
            var back = new byte[cipher.Length];
            crypto.CtrTransform(t.key, t.iv, cipher, back);
            Assert.Equal(t.plain, back);

            // Independent CTR of the simulated firmware (BouncyCastle engines, its own counter): same ciphertext.
            var firmware = new byte[t.plain.Length];
            FirmwareCtr.Transform(kind == PlatformKind.Csv ? new SM4Engine() : new AesEngine(), t.key, t.iv, t.plain, firmware);
            Assert.Equal(firmware, cipher);

            // In place (output aliasing input) gives the same result.
            var inPlace = (byte[])t.plain.Clone();
            crypto.CtrTransform(t.key, t.iv, inPlace, inPlace);
            Assert.Equal(cipher, inPlace);
        }, iter: 200);
    }

    [Fact]
    public void KernelHashesTable_lays_out_the_three_hashes_as_QEMU_does()
    {
        Gen.Select(Gen.Byte.Array[32], Gen.Byte.Array[32], Gen.Byte.Array[32], (c, i, k) => (c, i, k)).Sample(t =>
        {
            var table = KernelHashesTable.Build(t.c, t.i, t.k);
            Assert.Equal(KernelHashesTable.PaddedSize, table.Length);
            Assert.Equal(KnownGuids.HashTableHeader, new Guid(table.AsSpan(0, 16)));
            Assert.Equal(KernelHashesTable.TableSize, BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(16)));
            var expected = new[] { (KnownGuids.CmdlineEntry, t.c), (KnownGuids.InitrdEntry, t.i), (KnownGuids.KernelEntry, t.k) };
            for (int n = 0; n < 3; n++)
            {
                int at = 18 + n * 50;
                Assert.Equal(expected[n].Item1, new Guid(table.AsSpan(at, 16)));
                Assert.Equal(50, BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(at + 16)));
                Assert.Equal(expected[n].Item2, table.AsSpan(at + 18, 32).ToArray());
            }
            Assert.All(table[KernelHashesTable.TableSize..], b => Assert.Equal(0, b));
        }, iter: 200);
    }

    [Fact]
    public void KernelHashesTable_refuses_a_hash_that_is_not_32_bytes()
    {
        Gen.Int[0, 64].Where(n => n != 32).Sample(n =>
        {
            Assert.Throws<ArgumentException>(() => KernelHashesTable.Build(new byte[32], new byte[n], new byte[32]));
        }, iter: 50);
    }
}
