namespace GuestOwnerProxy.Crypto.Common;

/// <summary>
/// Input bytes that do not have the expected shape (wrong length, unknown id, bad field value).
/// Messages name the structure and the field, and never contain key material.
/// </summary>
public class CryptoFormatException : Exception
{
    public CryptoFormatException(string message) : base(message) { }
    public CryptoFormatException(string message, Exception inner) : base(message, inner) { }
}
