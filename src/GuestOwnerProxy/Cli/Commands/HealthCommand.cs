using System.CommandLine;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using GuestOwnerProxy.Cli.Client;

namespace GuestOwnerProxy.Cli.Commands;

/// <summary>
/// <c>gop health [SERVICE]</c>: grpc.health.v1 Check against a running server, as grpc_health_probe would ask, so a
/// container's HEALTHCHECK or a probe script needs nothing but the gop binary. The service names and what each
/// status means: README "Health".
/// </summary>
public sealed class HealthCommand : CliCommand
{
    private readonly Option<string> _server = CliOptions.Value("--server", "HOST:PORT", "the running server (h2c; default localhost:50051)");
    private readonly Option<string> _timeout = CliOptions.Value("--timeout", "SECONDS", "give up after this many seconds (default 5)");
    private readonly Argument<string> _service = new("service")
    {
        Description = "\"\" (the default: the whole proxy), Setup, keybroker.KeyBrokerService or gop.config",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public override string Name => "health";
    public override string Summary => "ask a running server's grpc.health.v1 for a service's status (exit 0 only when SERVING)";
    public override string Details =>
        """
        Prints the status (SERVING, NOT_SERVING, SERVICE_UNKNOWN). Exit 0 when SERVING, 1 otherwise (including a
        server that cannot be reached or does not answer in time), 2 for bad arguments.

            $ gop health                      # the proxy as a whole (readiness)
            $ gop health Setup                # the Python proxy's service
            $ gop health gop.config           # NOT_SERVING while an edit of keysets/keys/trust/settings is rejected
        """;

    public override IEnumerable<Symbol> Symbols => [_server, _timeout, _service];

    public override async Task<int> RunAsync(ParseResult args, CliContext context)
    {
        var server = args.GetValue(_server) ?? "localhost:50051";
        var service = args.GetValue(_service) ?? "";
        double seconds = 5;
        if (args.GetValue(_timeout) is { } timeoutText
            && (!double.TryParse(timeoutText, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out seconds)
                || seconds <= 0 || seconds > 3600))
            throw CliParse.Bad(Name, "--timeout", $"'{timeoutText}' is not a number of seconds (0 < s <= 3600)");
        Uri address;
        try
        {
            address = new Uri(ClientProtocols.Address(server));
        }
        catch (UriFormatException)
        {
            throw CliParse.Bad(Name, "--server", $"'{server}' is not HOST:PORT or a URL");
        }

        using var channel = GrpcChannel.ForAddress(address);
        try
        {
            var response = await new Health.HealthClient(channel).CheckAsync(
                new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow.AddSeconds(seconds));
            context.Out.WriteLine(Status(response.Status));
            return response.Status == HealthCheckResponse.Types.ServingStatus.Serving ? ExitCodes.Success : ExitCodes.VerificationFailed;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            context.Out.WriteLine("SERVICE_UNKNOWN");
            context.Err.WriteLine($"gop health: the server has no health service named '{service}'");
            return ExitCodes.VerificationFailed;
        }
        catch (RpcException ex)
        {
            context.Err.WriteLine($"gop health: {server}: {ex.StatusCode}: {ex.Status.Detail}");
            return ExitCodes.VerificationFailed;
        }
    }

    private static string Status(HealthCheckResponse.Types.ServingStatus status) => status switch
    {
        HealthCheckResponse.Types.ServingStatus.Serving => "SERVING",
        HealthCheckResponse.Types.ServingStatus.NotServing => "NOT_SERVING",
        HealthCheckResponse.Types.ServingStatus.ServiceUnknown => "SERVICE_UNKNOWN",
        _ => "UNKNOWN",
    };
}
