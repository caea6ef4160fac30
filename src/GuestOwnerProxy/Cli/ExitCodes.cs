namespace GuestOwnerProxy.Cli;

/// <summary>
/// Exit codes of every <c>gop</c> command (documented in docs/cli.md). Scripts and kata depend on
/// them: 0 success, 1 the thing checked is wrong (measurement mismatch, bad signature, broken chain,
/// gRPC error answered by the server), 2 the input is wrong (arguments, unreadable or malformed files).
/// </summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int VerificationFailed = 1;
    public const int BadInput = 2;
}

/// <summary>Bad arguments or unusable input files: exit 2. The message names the argument or file at fault.</summary>
public sealed class CliUsageException : Exception
{
    public CliUsageException(string message) : base(message) { }
    public CliUsageException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The input was well-formed but did not verify: exit 1.</summary>
public sealed class CliVerificationException : Exception
{
    public CliVerificationException(string message) : base(message) { }
}
