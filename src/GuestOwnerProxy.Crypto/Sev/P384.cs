using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>
/// The two NIST P-384 operations an SEV session is made of, Q = d·G (the GODH's public key) and Z = x(d·P) (the shared
/// secret with the platform's PDH), each one constant-time scalar multiplication in the system's libcrypto.
/// <para>
/// Why not .NET's <see cref="ECDiffieHellman"/>: importing a key there re-validates it in OpenSSL (a full order check,
/// one more scalar multiplication), importing the GODH from its scalar recomputes and checks it twice, and every derive
/// re-validates the peer: six multiplications a launch where two are needed (issue 14 measured 62 % of a launch's CPU in
/// those checks). Here the PDH is checked once when it is imported (<see cref="P384PublicKey.Import"/>: coordinates below
/// p, on the curve; P-384 has cofactor 1, so that is the whole group) and the imported point is reused for every launch
/// from that host. OpenSSL's EC_POINT_mul with a single scalar runs its Montgomery ladder, which is constant-time in the
/// scalar for both the fixed and the variable base.
/// </para>
/// When libcrypto cannot be loaded (not Linux, or an unknown soname) the same operations run on .NET's ECDiffieHellman,
/// slower but with the same results.
/// </summary>
public static class P384
{
    public const int FieldSize = 48;

    /// <summary>True when the operations run in libcrypto directly (the fast path); false on the .NET fallback.</summary>
    public static bool IsNative => LibCrypto.Functions is not null;

    /// <summary>The public point d·G as big-endian X, Y (48 bytes each) for a scalar 1 ≤ d &lt; n (big-endian, 48 bytes).</summary>
    public static (byte[] X, byte[] Y) PublicKeyOf(ReadOnlySpan<byte> scalar)
    {
        RequireScalar(scalar);
        return LibCrypto.Functions is { } f ? f.MultiplyGenerator(scalar) : Managed.PublicKeyOf(scalar);
    }

    /// <summary>Z = the X coordinate (big-endian, 48 bytes) of d·P: the raw ECDH shared secret SEV's KDF takes.</summary>
    public static byte[] SharedSecret(ReadOnlySpan<byte> scalar, P384PublicKey peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        RequireScalar(scalar);
        return LibCrypto.Functions is { } f ? f.SharedSecret(scalar, peer.NativePoint!) : Managed.SharedSecret(scalar, peer);
    }

    /// <summary>The .NET path, whatever <see cref="IsNative"/> says: for tests that cross-check the two.</summary>
    internal static (byte[] X, byte[] Y) ManagedPublicKeyOf(ReadOnlySpan<byte> scalar) => Managed.PublicKeyOf(scalar);

    internal static byte[] ManagedSharedSecret(ReadOnlySpan<byte> scalar, P384PublicKey peer) => Managed.SharedSecret(scalar, peer);

    private static void RequireScalar(ReadOnlySpan<byte> scalar)
    {
        if (scalar.Length != FieldSize)
            throw new ArgumentException($"a P-384 scalar is {FieldSize} bytes big-endian, got {scalar.Length}", nameof(scalar));
    }

    private static class Managed
    {
        public static (byte[] X, byte[] Y) PublicKeyOf(ReadOnlySpan<byte> scalar)
        {
            using var key = Import(scalar);
            var q = key.ExportParameters(includePrivateParameters: false).Q;
            return (q.X!, q.Y!);
        }

        public static byte[] SharedSecret(ReadOnlySpan<byte> scalar, P384PublicKey peer)
        {
            using var key = Import(scalar);
            using var peerKey = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP384,
                Q = new ECPoint { X = peer.X.ToArray(), Y = peer.Y.ToArray() },
            });
            using var peerPublic = peerKey.PublicKey;
            return key.DeriveRawSecretAgreement(peerPublic);
        }

        private static ECDiffieHellman Import(ReadOnlySpan<byte> scalar)
        {
            var d = scalar.ToArray();
            try
            {
                return ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP384, D = d });
            }
            finally
            {
                CryptographicOperations.ZeroMemory(d);
            }
        }
    }
}

/// <summary>A P-384 public key checked once (coordinates in range, on the curve) and kept imported: the platform's PDH
/// key, reused by every session built for that host.</summary>
public sealed class P384PublicKey
{
    private readonly byte[] _x;
    private readonly byte[] _y;

    private P384PublicKey(byte[] x, byte[] y, LibCrypto.EcPoint? point)
    {
        _x = x;
        _y = y;
        NativePoint = point;
    }

    public ReadOnlySpan<byte> X => _x;
    public ReadOnlySpan<byte> Y => _y;

    internal LibCrypto.EcPoint? NativePoint { get; }

    /// <summary>The point (X, Y) big-endian, 48 bytes each. Throws <see cref="CryptographicException"/> for a point that is
    /// not on P-384 (or a coordinate not below p).</summary>
    public static P384PublicKey Import(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        if (x.Length != P384.FieldSize || y.Length != P384.FieldSize)
            throw new CryptographicException($"a P-384 point has {P384.FieldSize}-byte coordinates, got {x.Length} and {y.Length}");
        if (LibCrypto.Functions is { } f)
            return new P384PublicKey(x.ToArray(), y.ToArray(), f.ImportPoint(x, y));
        // The fallback checks the point the way .NET does (OpenSSL's full key check) once here, and then per derive.
        using (ECDiffieHellman.Create(new ECParameters
               {
                   Curve = ECCurve.NamedCurves.nistP384,
                   Q = new ECPoint { X = x.ToArray(), Y = y.ToArray() },
               }))
        {
        }
        return new P384PublicKey(x.ToArray(), y.ToArray(), null);
    }
}

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

    private readonly nint _group;
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
        // One group for the process, only ever read: OpenSSL allows sharing a const EC_GROUP across threads.
        _group = groupNew(NidSecp384r1);
        if (_group == 0)
            throw new EntryPointNotFoundException("EC_GROUP_new_by_curve_name(secp384r1) failed");
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

    public EcPoint ImportPoint(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        if (x.SequenceCompareTo(Prime) >= 0 || y.SequenceCompareTo(Prime) >= 0)
            throw new CryptographicException("a P-384 coordinate is not below the field prime");
        nint bx = BigNumber(x), by = BigNumber(y);
        var point = NewPoint();
        try
        {
            // Checks that the point is on the curve (OpenSSL 1.1.1 and 3.x).
            if (_setAffine(_group, point.Handle, bx, by, 0) != 1)
            {
                _errClear();
                throw new CryptographicException("the point is not on P-384");
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

    private EcPoint NewPoint()
    {
        nint point = _pointNew(_group);
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
