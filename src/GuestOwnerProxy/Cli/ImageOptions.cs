using System.Text;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Server.Configuration;

namespace GuestOwnerProxy.Cli;

/// <summary>
/// The launch image options shared by digest, measure, verify-measurement and simulate:
/// <c>--ovmf F [--kernel F] [--initrd F] [--cmdline STR | --cmdline-file F] [--no-kernel-hashes]</c>.
/// A cmdline file loses exactly one trailing newline ("\n" or "\r\n"), the rule the server applies to
/// <c>cmdline_file</c> in keysets.json (Hygon's helper drops the file's last byte); nothing else is trimmed.
/// </summary>
public static class ImageOptions
{
    public const string Ovmf = "--ovmf";
    public const string Kernel = "--kernel";
    public const string Initrd = "--initrd";
    public const string Cmdline = "--cmdline";
    public const string CmdlineFile = "--cmdline-file";
    public const string NoKernelHashes = "--no-kernel-hashes";

    public static IReadOnlyList<OptionSpec> Specs { get; } =
    [
        new(OptionKind.Single, Ovmf),
        new(OptionKind.Single, Kernel),
        new(OptionKind.Single, Initrd),
        new(OptionKind.Single, Cmdline),
        new(OptionKind.Single, CmdlineFile),
        new(OptionKind.Flag, NoKernelHashes),
    ];

    public const string Usage =
        "--ovmf F [--kernel F] [--initrd F] [--cmdline STR | --cmdline-file F] [--no-kernel-hashes]";

    public const string Help =
        """
          --ovmf F            firmware image exactly as QEMU loads it
          --kernel F          direct-boot kernel; measured in the kernel hashes table (QEMU kernel-hashes=on)
          --initrd F          initrd (needs --kernel; absent = SHA-256 of empty input)
          --cmdline STR       the exact -append string (QEMU adds the terminating NUL)
          --cmdline-file F    the command line read from F; exactly one trailing newline ("\n" or "\r\n")
                              is removed, as Hygon's helper does; all other whitespace is kept
          --no-kernel-hashes  QEMU runs without kernel-hashes=on: the digest covers the OVMF alone
        """;

    public static bool Given(CommandArguments args) => args.Has(Ovmf);

    /// <summary>The image, with files checked up front so errors name the option and the file.</summary>
    public static LaunchImage Read(CommandArguments args)
    {
        string command = args.Command;
        string ovmf = args.Require(Ovmf);
        CliFiles.RequireExists(command, Ovmf, ovmf);
        string? kernel = args.Value(Kernel);
        string? initrd = args.Value(Initrd);
        if (kernel is not null)
            CliFiles.RequireExists(command, Kernel, kernel);
        if (initrd is not null)
            CliFiles.RequireExists(command, Initrd, initrd);
        if (args.Has(Cmdline) && args.Has(CmdlineFile))
            throw new CliUsageException($"gop {command}: give either {Cmdline} or {CmdlineFile}, not both");
        bool noHashes = args.Flag(NoKernelHashes);
        if (kernel is null && !noHashes && (initrd is not null || args.Has(Cmdline) || args.Has(CmdlineFile)))
            throw new CliUsageException(
                $"gop {command}: {(initrd is not null ? Initrd : args.Has(Cmdline) ? Cmdline : CmdlineFile)} is measured only with {Kernel} (the kernel hashes table); add {Kernel} or drop it");

        byte[]? cmdline = null;
        if (args.Value(Cmdline) is { } text)
            cmdline = Encoding.UTF8.GetBytes(text);
        else if (args.Value(CmdlineFile) is { } file)
        {
            CliFiles.RequireExists(command, CmdlineFile, file);
            try
            {
                cmdline = ImageDigestCache.ReadCmdline(new ImageDefinition("cli", ovmf, kernel, initrd, null, file, null));
            }
            catch (CryptoFormatException ex)
            {
                throw new CliUsageException($"gop {command}: {CmdlineFile}: {ex.Message}", ex);
            }
        }
        return new LaunchImage(ovmf, kernel, initrd, cmdline, noHashes ? false : null);
    }

    /// <summary>Computes the launch digest; format problems (kernel with an OVMF lacking the hashes area) are exit 2.</summary>
    public static LaunchDigestResult Compute(string command, PlatformKind platform, LaunchImage image)
    {
        try
        {
            return LaunchDigest.Compute(LaunchCrypto.For(platform), image);
        }
        catch (CryptoFormatException ex)
        {
            throw new CliUsageException($"gop {command}: {ex.Message}", ex);
        }
    }
}
