using System.CommandLine;
using GuestOwnerProxy.Server.Sessions.Redis;

namespace GuestOwnerProxy.Cli.Commands;

/// <summary><c>gop sealing-key new FILE</c>: a new key for sealing sessions in Redis.</summary>
public sealed class SealingKeyNewCommand : CliCommand
{
    public override string Name => "sealing-key new";
    public override string Summary => "create a sealing key file for the Redis session store (32 random bytes, mode 0600)";
    public override string Details =>
        """
        Writes 32 bytes from the system CSPRNG to FILE, created with mode 0600 and never over an existing
        file (that would strand every session the old key sealed), and prints the key's id. List the file in
        GuestOwnerProxy:Sessions:Redis:SealingKeyFiles on every replica: the first file seals new sessions,
        every file unseals. To rotate, put the new key first, keep the old one until the sessions it sealed
        have expired (Sessions:Ttl), then remove it.
        """;

    private readonly Argument<string> _file = new("FILE") { Description = "the key file to create" };

    public override IEnumerable<Symbol> Symbols => [_file];

    public override Task<int> RunAsync(ParseResult args, CliContext context)
    {
        string path = args.GetValue(_file)!;
        if (File.Exists(path) || Directory.Exists(path))
            throw new CliUsageException($"gop {Name}: FILE '{path}' already exists; refusing to overwrite a sealing key");
        string id;
        try
        {
            id = SealingKey.Create(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"gop {Name}: FILE '{path}': {ex.Message}", ex);
        }
        context.Out.WriteLine($"{path}: sealing key {id} (32 bytes, mode 0600)");
        return Task.FromResult(ExitCodes.Success);
    }
}
