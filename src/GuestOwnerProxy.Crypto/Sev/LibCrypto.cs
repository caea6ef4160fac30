using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>The few libcrypto (OpenSSL 3 or 1.1.1) entry points P-384 needs, resolved once from the library .NET itself
/// uses for cryptography on Linux. Function pointers rather than DllImport so a missing library is a fallback decided
/// once, not an exception on first use, and so Native AOT needs no marshalling stubs.</summary>
internal sealed unsafe class LibCrypto
{
    private const int NidSecp384r1 = 715;

    /// <summary>P-384's prime p, big-endian: coordinates must be below it (EC_POINT_set_affine_coordinates would reduce them).</summary>
    private static readonly byte[] Prime = Convert.FromHexString(
        "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff");

    public static LibCrypto? Functions { get; } = Load();

    private const int NidPrime256v1 = 415;

    private readonly nint _group;
    private readonly nint _p256;
    private readonly delegate* unmanaged<nint, nint> _pointNew;
    private readonly delegate* unmanaged<nint, void> _pointFree;
    private readonly delegate* unmanaged<nint, nint, nint, nint, nint, int> _setAffine;
    private readonly delegate* unmanaged<nint, nint, nint, nint, nint, int> _getAffine;
    private readonly delegate* unmanaged<nint, nint, nint, nint, nint, nint, int> _mul;
    private readonly delegate* unmanaged<byte*, int, nint, nint> _bin2bn;
    private readonly delegate* unmanaged<nint, byte*, int, int> _bn2binpad;
    private readonly delegate* unmanaged<nint> _bnNew;
    private readonly delegate* unmanaged<nint, void> _bnClearFree;
    private readonly delegate* unmanaged<void> _errClear;
    private readonly delegate* unmanaged<nint> _ecKeyNew;
    private readonly delegate* unmanaged<nint, nint, int> _ecKeySetGroup;
    private readonly delegate* unmanaged<nint, nint, int> _ecKeySetPublicKey;
    private readonly delegate* unmanaged<nint, void> _ecKeyFree;
    private readonly delegate* unmanaged<nint> _sigNew;
    private readonly delegate* unmanaged<nint, nint, nint, int> _sigSet0;
    private readonly delegate* unmanaged<nint, void> _sigFree;
    private readonly delegate* unmanaged<byte*, int, nint, nint, int> _ecdsaVerify;

    private LibCrypto(nint library)
    {
        nint Get(string name) => NativeLibrary.GetExport(library, name);
        var groupNew = (delegate* unmanaged<int, nint>)Get("EC_GROUP_new_by_curve_name");
        _pointNew = (delegate* unmanaged<nint, nint>)Get("EC_POINT_new");
        _pointFree = (delegate* unmanaged<nint, void>)Get("EC_POINT_free");
        _setAffine = (delegate* unmanaged<nint, nint, nint, nint, nint, int>)Get("EC_POINT_set_affine_coordinates");
        _getAffine = (delegate* unmanaged<nint, nint, nint, nint, nint, int>)Get("EC_POINT_get_affine_coordinates");
        _mul = (delegate* unmanaged<nint, nint, nint, nint, nint, nint, int>)Get("EC_POINT_mul");
        _bin2bn = (delegate* unmanaged<byte*, int, nint, nint>)Get("BN_bin2bn");
        _bn2binpad = (delegate* unmanaged<nint, byte*, int, int>)Get("BN_bn2binpad");
        _bnNew = (delegate* unmanaged<nint>)Get("BN_new");
        _bnClearFree = (delegate* unmanaged<nint, void>)Get("BN_clear_free");
        _errClear = (delegate* unmanaged<void>)Get("ERR_clear_error");
        _ecKeyNew = (delegate* unmanaged<nint>)Get("EC_KEY_new");
        _ecKeySetGroup = (delegate* unmanaged<nint, nint, int>)Get("EC_KEY_set_group");
        _ecKeySetPublicKey = (delegate* unmanaged<nint, nint, int>)Get("EC_KEY_set_public_key");
        _ecKeyFree = (delegate* unmanaged<nint, void>)Get("EC_KEY_free");
        _sigNew = (delegate* unmanaged<nint>)Get("ECDSA_SIG_new");
        _sigSet0 = (delegate* unmanaged<nint, nint, nint, int>)Get("ECDSA_SIG_set0");
        _sigFree = (delegate* unmanaged<nint, void>)Get("ECDSA_SIG_free");
        _ecdsaVerify = (delegate* unmanaged<byte*, int, nint, nint, int>)Get("ECDSA_do_verify");
        // One group for the process, only ever read: OpenSSL allows sharing a const EC_GROUP across threads.
        _group = groupNew(NidSecp384r1);
        _p256 = groupNew(NidPrime256v1);
        if (_group == 0 || _p256 == 0)
            throw new EntryPointNotFoundException("EC_GROUP_new_by_curve_name(secp384r1 / prime256v1) failed");
    }

    private static LibCrypto? Load()
    {
        if (Environment.GetEnvironmentVariable("GOP_P384_MANAGED") == "1")
            return null;
        foreach (var name in (string[])["libcrypto.so.3", "libcrypto.so.1.1"])
        {
            if (!NativeLibrary.TryLoad(name, out var library))
                continue;
            try
            {
                var functions = new LibCrypto(library);
                return functions.SelfTest() ? functions : null;
            }
            catch (Exception e) when (e is EntryPointNotFoundException or CryptographicException)
            {
                // An older or unusual libcrypto: the .NET path serves instead.
            }
        }
        return null;
    }

    /// <summary>1·G must be the generator: proves the entry points and argument orders before any key depends on them.</summary>
    private bool SelfTest()
    {
        Span<byte> one = stackalloc byte[P384.FieldSize];
        one[^1] = 1;
        var (x, _) = MultiplyGenerator(one);
        return Convert.ToHexStringLower(x) ==
               "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7";
    }

    public EcPoint ImportPoint(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y) => ImportPoint(_group, Prime, "P-384", x, y);

    private EcPoint ImportPoint(nint group, byte[] prime, string curve, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        if (x.Length != prime.Length || y.Length != prime.Length)
            throw new CryptographicException($"a {curve} point has {prime.Length}-byte coordinates, got {x.Length} and {y.Length}");
        if (x.SequenceCompareTo(prime) >= 0 || y.SequenceCompareTo(prime) >= 0)
            throw new CryptographicException($"a {curve} coordinate is not below the field prime");
        nint bx = BigNumber(x), by = BigNumber(y);
        var point = NewPoint(group);
        try
        {
            // Checks that the point is on the curve (OpenSSL 1.1.1 and 3.x); both curves have cofactor 1.
            if (_setAffine(group, point.Handle, bx, by, 0) != 1)
            {
                _errClear();
                throw new CryptographicException($"the point is not on {curve}");
            }
            return point;
        }
        catch
        {
            point.Dispose();
            throw;
        }
        finally
        {
            _bnClearFree(bx);
            _bnClearFree(by);
        }
    }

    public (byte[] X, byte[] Y) MultiplyGenerator(ReadOnlySpan<byte> scalar)
    {
        nint d = BigNumber(scalar);
        using var result = NewPoint();
        try
        {
            Check(_mul(_group, result.Handle, d, 0, 0, 0), "EC_POINT_mul(d, G)");
            var x = new byte[P384.FieldSize];
            var y = new byte[P384.FieldSize];
            Coordinates(result, x, y);
            return (x, y);
        }
        finally
        {
            _bnClearFree(d);
        }
    }

    public byte[] SharedSecret(ReadOnlySpan<byte> scalar, EcPoint peer)
    {
        nint d = BigNumber(scalar);
        using var result = NewPoint();
        try
        {
            int ok = _mul(_group, result.Handle, 0, peer.Handle, d, 0);
            GC.KeepAlive(peer); // the raw handle was read: keep its owner from being finalized during the call
            Check(ok, "EC_POINT_mul(d, P)");
            var x = new byte[P384.FieldSize];
            Coordinates(result, x, default);
            return x;
        }
        finally
        {
            _bnClearFree(d);
        }
    }

    private void Coordinates(EcPoint point, Span<byte> x, Span<byte> y)
    {
        nint bx = _bnNew(), by = y.IsEmpty ? 0 : _bnNew();
        try
        {
            // Fails for the point at infinity, which a valid peer point times a scalar in [1, n) never is.
            Check(_getAffine(_group, point.Handle, bx, by, 0), "EC_POINT_get_affine_coordinates");
            fixed (byte* px = x)
                Check(_bn2binpad(bx, px, x.Length) == x.Length ? 1 : 0, "BN_bn2binpad(x)");
            if (!y.IsEmpty)
                fixed (byte* py = y)
                    Check(_bn2binpad(by, py, y.Length) == y.Length ? 1 : 0, "BN_bn2binpad(y)");
        }
        finally
        {
            _bnClearFree(bx);
            if (by != 0)
                _bnClearFree(by);
        }
    }

    private nint BigNumber(ReadOnlySpan<byte> bigEndian)
    {
        fixed (byte* p = bigEndian)
        {
            nint bn = _bin2bn(p, bigEndian.Length, 0);
            if (bn == 0)
                throw new CryptographicException("BN_bin2bn failed (out of memory)");
            return bn;
        }
    }

    /// <summary>
    /// ECDSA verification of (r, s) over a digest already computed, with the public key (x, y) on P-256 (32-byte
    /// coordinates) or P-384 (48): what the platform certificate chain is made of. The key is checked to be on its curve
    /// here; unlike .NET's ECDsa import, no full key validation (another scalar multiplication per certificate) is run,
    /// which is what made an uncached SEV chain cost 3x OpenSSL's own verifications. False for any signature that does
    /// not verify, including r or s out of range.
    /// </summary>
    public bool VerifyEcdsa(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> r, ReadOnlySpan<byte> s)
    {
        bool p384 = x.Length == P384.FieldSize;
        nint group = p384 ? _group : _p256;
        using var point = ImportPoint(group, p384 ? Prime : P256Prime, p384 ? "P-384" : "P-256", x, y);
        nint key = _ecKeyNew();
        nint signature = _sigNew();
        try
        {
            if (key == 0 || signature == 0)
                throw new CryptographicException("EC_KEY_new / ECDSA_SIG_new failed (out of memory)");
            Check(_ecKeySetGroup(key, group), "EC_KEY_set_group");
            Check(_ecKeySetPublicKey(key, point.Handle), "EC_KEY_set_public_key");
            nint br = BigNumber(r), bs = BigNumber(s);
            if (_sigSet0(signature, br, bs) != 1)
            {
                _bnClearFree(br);
                _bnClearFree(bs);
                Check(0, "ECDSA_SIG_set0");
            }
            int verified;
            fixed (byte* d = digest)
                verified = _ecdsaVerify(d, digest.Length, signature, key);
            if (verified != 1)
                _errClear();
            return verified == 1;
        }
        finally
        {
            if (signature != 0)
                _sigFree(signature);
            if (key != 0)
                _ecKeyFree(key);
        }
    }

    private static readonly byte[] P256Prime = Convert.FromHexString("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");

    private EcPoint NewPoint() => NewPoint(_group);

    private EcPoint NewPoint(nint group)
    {
        nint point = _pointNew(group);
        if (point == 0)
            throw new CryptographicException("EC_POINT_new failed (out of memory)");
        return new EcPoint(this, point);
    }

    private void Check(int ok, string what)
    {
        if (ok != 1)
        {
            _errClear();
            throw new CryptographicException($"libcrypto {what} failed");
        }
    }

    /// <summary>An EC_POINT owned by managed code: freed on dispose, or by the finalizer for a cached PDH point dropped
    /// with its cache entry.</summary>
    internal sealed class EcPoint : SafeHandle
    {
        private readonly LibCrypto _functions;

        public EcPoint(LibCrypto functions, nint handle) : base(0, ownsHandle: true)
        {
            _functions = functions;
            SetHandle(handle);
        }

        public nint Handle => handle;

        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle()
        {
            _functions._pointFree(handle);
            return true;
        }
    }
}
