using System.Text.Json.Nodes;
using System.CommandLine;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Cli.Commands;

/// <summary><c>gop secret build</c>: a LAUNCH_SECRET packet from files, like <c>sevctl secret build</c>.</summary>
public sealed class SecretBuildCommand : CliCommand
{
    public override string Name => "secret build";
    public override string Summary => "build a LAUNCH_SECRET packet (base64 header and data) from TEK, TIK, measure and files";
    public override string Details =>
        """
        Builds the secret table (header GUID 1e74f542-..., unpadded length field, entries GUID ‖ u32 length ‖
        FILE bytes, zero padded to 16) and encrypts it: SM4-CTR/HMAC-SM3 (csv) or AES-128-CTR/HMAC-SHA256
        (sev). Prints two lines: base64 of the 52-byte packet header, then base64 of the encrypted data
        (the packet-header and secret arguments of QMP sev-inject-launch-secret). The plaintext and keys
        are never printed.
        """;

    private readonly Option<string> _platform = CliOptions.Platform("platform of the launch");
    private readonly Option<string> _tek = CliOptions.Value("--tek", "HEX|@F", "the session's TEK (32 hex digits, or a file with 16 raw bytes or hex text)", required: true);
    private readonly Option<string> _tik = CliOptions.Value("--tik", "HEX|@F", "the session's TIK", required: true);
    private readonly Option<string> _measurement = CliOptions.Value("--measurement", "B64", "base64 of the 32-byte measure, or of the whole 48-byte measurement blob", required: true);
    private readonly Option<string[]> _secret = CliOptions.Repeated("--secret", "GUID:FILE",
        "one table entry: its GUID and a file with its data; repeatable (e6f5a162-d67f-4750-a67c-5d065f2a9910 = keyset bundle "
        + "for the offline KBC, 736869e5-84f0-4973-92ec-06879ce3da0b = disk passphrase)", required: true);
    private readonly Option<string> _iv = CliOptions.Value("--iv", "HEX", "the 16-byte IV (default: random)");
    private readonly Option<string> _areaSize = CliOptions.Value("--area-size", "N", $"OVMF secret area size the padded table must fit (default {SecretTable.DefaultAreaSize})");
    private readonly Option<bool> _json = CliOptions.Flag("--json", "{\"header\": ..., \"data\": ..., \"tableLength\": ..., \"paddedLength\": ...}");

    public override IEnumerable<Symbol> Symbols => [_platform, _tek, _tik, _measurement, _secret, _iv, _areaSize, _json];

    public override Task<int> RunAsync(ParseResult args, CliContext context)
    {
        var platform = CliParse.Platform(Name, args.GetValue(_platform)!);
        var measurement = CliParse.Base64(Name, "--measurement", args.GetValue(_measurement)!);
        if (measurement.Length is not (LaunchMeasurement.MeasureSize or LaunchMeasurement.Size))
            throw CliParse.Bad(Name, "--measurement",
                $"{measurement.Length} bytes; give the 32-byte measure or the 48-byte measurement blob (measure ‖ mnonce)");
        var measure = measurement[..LaunchMeasurement.MeasureSize];
        byte[]? iv = args.GetValue(_iv) is { } ivText ? CliParse.Hex(Name, "--iv", ivText, SecretPacket.IvSize) : null;
        int areaSize = args.GetValue(_areaSize) is { } size ? CliParse.Int32(Name, "--area-size", size) : SecretTable.DefaultAreaSize;
        if (areaSize <= 0)
            throw CliParse.Bad(Name, "--area-size", $"{areaSize} is not a positive size");
        var secrets = args.GetValue(_secret)!;

        var table = new SecretTable();
        byte[] tek = [], tik = [], plain = [];
        try
        {
            foreach (var spec in secrets)
            {
                int colon = spec.IndexOf(':');
                if (colon <= 0 || colon == spec.Length - 1)
                    throw CliParse.Bad(Name, "--secret", $"'{spec}' is not GUID:FILE");
                var guid = CliParse.Guid(Name, "--secret", spec[..colon]);
                var data = CliFiles.Read(Name, "--secret", spec[(colon + 1)..], FileFormat.Secret(areaSize));
                try
                {
                    table.Add(guid, data);
                }
                catch (CryptoFormatException ex)
                {
                    throw CliParse.Bad(Name, "--secret", ex.Message);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(data);
                }
            }
            tek = CliParse.Key(Name, "--tek", args.GetValue(_tek)!);
            tik = CliParse.Key(Name, "--tik", args.GetValue(_tik)!);
            try
            {
                plain = table.Build(areaSize);
            }
            catch (CryptoFormatException ex)
            {
                throw CliParse.Bad(Name, "--secret", ex.Message);
            }

            var crypto = context.Platforms.For(platform).Crypto;
            var packet = iv is not null
                ? SecretPacket.Create(crypto, tek, tik, measure, plain, iv)
                : SecretPacket.Create(crypto, tek, tik, measure, plain, SystemRandomSource.Instance);
            string header = Convert.ToBase64String(packet.Header);
            string encrypted = Convert.ToBase64String(packet.Data);
            if (args.GetValue(_json))
            {
                CliJson.Write(context.Out, new JsonObject
                {
                    ["platform"] = PlatformNames.Of(platform),
                    ["header"] = header,
                    ["data"] = encrypted,
                    ["tableLength"] = table.Length,
                    ["paddedLength"] = table.PaddedLength,
                    ["entries"] = CliJson.Array(table.Entries, e => new JsonObject { ["guid"] = e.Guid.ToString(), ["length"] = e.Data.Length }),
                });
            }
            else
            {
                context.Out.WriteLine(header);
                context.Out.WriteLine(encrypted);
            }
            return Task.FromResult(ExitCodes.Success);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(tek);
            CryptographicOperations.ZeroMemory(tik);
            CryptographicOperations.ZeroMemory(plain);
            table.Clear();
        }
    }
}
