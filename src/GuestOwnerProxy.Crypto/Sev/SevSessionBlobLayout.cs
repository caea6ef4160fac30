namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>The 128-byte LAUNCH_START session blob: nonce ‖ wrap_tk ‖ wrap_iv ‖ wrap_mac ‖ policy_mac.</summary>
internal static class SevSessionBlobLayout
{
    public const int Nonce = 0;
    public const int NonceSize = 16;
    public const int WrapTk = 16;
    public const int WrapTkSize = 32;
    public const int WrapIv = 48;
    public const int WrapIvSize = 16;
    public const int WrapMac = 64;
    public const int WrapMacSize = 32;
    public const int PolicyMac = 96;
    public const int PolicyMacSize = 32;
    public const int Size = 128;
}
