using System.CommandLine;
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
public sealed class ImageOptions
{
    public Option<string> Ovmf { get; } = CliOptions.Value("--ovmf", "F", "firmware image exactly as QEMU loads it");
    public Option<string> Kernel { get; } = CliOptions.Value("--kernel", "F", "direct-boot kernel; measured in the kernel hashes table (QEMU kernel-hashes=on)");
    public Option<string> Initrd { get; } = CliOptions.Value("--initrd", "F", "initrd (needs --kernel; absent = SHA-256 of empty input)");
    public Option<string> Cmdline { get; } = CliOptions.Value("--cmdline", "STR", "the exact -append string (QEMU adds the terminating NUL)");
    public Option<string> CmdlineFile { get; } = CliOptions.Value("--cmdline-file", "F",
        "the command line read from F; exactly one trailing newline (\"\\n\" or \"\\r\\n\") is removed, as Hygon's helper does; all other whitespace is kept");
    public Option<bool> NoKernelHashes { get; } = CliOptions.Flag("--no-kernel-hashes", "QEMU runs without kernel-hashes=on: the digest covers the OVMF alone");

    public IEnumerable<Symbol> Symbols => [Ovmf, Kernel, Initrd, Cmdline, CmdlineFile, NoKernelHashes];

    public const string Usage =
        "--ovmf F [--kernel F] [--initrd F] [--cmdline STR | --cmdline-file F] [--no-kernel-hashes]";

    public bool Given(ParseResult args) => CliOptions.Given(args, Ovmf);

    /// <summary>
    /// The image, with files checked up front so errors name the option and the file: each must be a regular file of at
    /// most <see cref="FileFormat.BootImage"/>'s size (the core's digest code refuses other files too, but without the option).
    /// </summary>
    public LaunchImage Read(string command, ParseResult args)
    {
        string ovmf = CliOptions.Require(command, args, Ovmf);
        CliFiles.RequireRegular(command, Ovmf.Name, ovmf, FileFormat.BootImage);
        string? kernel = args.GetValue(Kernel);
        string? initrd = args.GetValue(Initrd);
        string? cmdlineText = args.GetValue(Cmdline);
        string? cmdlineFile = args.GetValue(CmdlineFile);
        if (kernel is not null)
            CliFiles.RequireRegular(command, Kernel.Name, kernel, FileFormat.BootImage);
        if (initrd is not null)
            CliFiles.RequireRegular(command, Initrd.Name, initrd, FileFormat.BootImage);
        if (cmdlineText is not null && cmdlineFile is not null)
            throw new CliUsageException($"gop {command}: give either {Cmdline.Name} or {CmdlineFile.Name}, not both");
        bool noHashes = args.GetValue(NoKernelHashes);
        if (kernel is null && !noHashes && (initrd is not null || cmdlineText is not null || cmdlineFile is not null))
            throw new CliUsageException(
                $"gop {command}: {(initrd is not null ? Initrd.Name : cmdlineText is not null ? Cmdline.Name : CmdlineFile.Name)} is measured only with {Kernel.Name} (the kernel hashes table); add {Kernel.Name} or drop it");

        byte[]? cmdline = null;
        if (cmdlineText is not null)
            cmdline = Encoding.UTF8.GetBytes(cmdlineText);
        else if (cmdlineFile is not null)
        {
            CliFiles.RequireRegular(command, CmdlineFile.Name, cmdlineFile);
            try
            {
                cmdline = ImageDigestCache.ReadCmdline(new ImageDefinition("cli", ovmf, kernel, initrd, null, cmdlineFile, null));
            }
            catch (CryptoFormatException ex)
            {
                throw new CliUsageException($"gop {command}: {CmdlineFile.Name}: {ex.Message}", ex);
            }
        }
        return new LaunchImage(ovmf, kernel, initrd, cmdline, noHashes ? false : null);
    }

    /// <summary>Computes the launch digest; format problems (kernel with an OVMF lacking the hashes area) are exit 2.</summary>
    public static LaunchDigestResult Compute(string command, ILaunchCrypto crypto, LaunchImage image)
    {
        try
        {
            return LaunchDigest.Compute(crypto, image);
        }
        catch (CryptoFormatException ex)
        {
            throw new CliUsageException($"gop {command}: {ex.Message}", ex);
        }
    }
}
