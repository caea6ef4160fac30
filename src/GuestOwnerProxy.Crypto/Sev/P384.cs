using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>
/// The two NIST P-384 operations an SEV session is made of, Q = d·G (the GODH's public key, on BouncyCastle's fixed-base
/// comb) and Z = x(d·P) (the shared secret with the platform's PDH, a constant-time ladder in the system's libcrypto).
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
    /// <remarks>On BouncyCastle's specialised secp384r1 with its fixed-base comb (the table for G is built once per
    /// process; its lookups are constant-time), as the CSV path does for SM2: 2-3x cheaper than OpenSSL 3.0's ladder,
    /// which keeps no table for the generator. The result is public; the scalar's BouncyCastle copy cannot be zeroed,
    /// as on CSV.</remarks>
    public static (byte[] X, byte[] Y) PublicKeyOf(ReadOnlySpan<byte> scalar)
    {
        RequireScalar(scalar);
        if (LibCrypto.Functions is null)
            return Managed.PublicKeyOf(scalar);
        var q = Comb.Multiply(Secp384r1.G, new Org.BouncyCastle.Math.BigInteger(1, scalar)).Normalize();
        if (q.IsInfinity)
            throw new CryptographicException("d·G is the point at infinity (d is a multiple of n)");
        return (q.AffineXCoord.GetEncoded(), q.AffineYCoord.GetEncoded());
    }

    private static readonly Org.BouncyCastle.Asn1.X9.X9ECParameters Secp384r1 =
        Org.BouncyCastle.Crypto.EC.CustomNamedCurves.GetByName("secp384r1");

    private static readonly Org.BouncyCastle.Math.EC.Multiplier.FixedPointCombMultiplier Comb = new();

    /// <summary>d·G through libcrypto's ladder, for tests that cross-check the comb.</summary>
    internal static (byte[] X, byte[] Y) NativePublicKeyOf(ReadOnlySpan<byte> scalar) =>
        (LibCrypto.Functions ?? throw new InvalidOperationException("libcrypto is not loaded")).MultiplyGenerator(scalar);

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
