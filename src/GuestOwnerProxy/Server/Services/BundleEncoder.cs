using System.Text;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Server.Configuration;

namespace GuestOwnerProxy.Server.Services;

/// <summary>
/// The two deployed clients read the bundle differently: the Hygon CSV client
/// writes the fields unchanged into files QEMU reads as base64, the AMD SEV client base64-encodes them
/// itself. The secret packet is raw for both.
/// </summary>
public static class BundleEncoder
{
    public static BundleEncoding For(PlatformKind platform, BundleEncodingOptions options) =>
        platform == PlatformKind.Csv ? options.Csv : options.Sev;

    public static byte[] Encode(byte[] value, BundleEncoding encoding) => encoding switch
    {
        BundleEncoding.Raw => value,
        // Convert.ToBase64String never inserts line breaks, as the CSV client requires.
        BundleEncoding.Base64 => Encoding.ASCII.GetBytes(Convert.ToBase64String(value)),
        _ => throw new ArgumentOutOfRangeException(nameof(encoding)),
    };
}
