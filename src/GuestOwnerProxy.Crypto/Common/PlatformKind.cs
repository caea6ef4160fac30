namespace GuestOwnerProxy.Crypto.Common;

/// <summary>The two platforms share the launch flow; only primitives and certificate layouts differ.</summary>
public enum PlatformKind
{
    Csv,
    Sev,
}
