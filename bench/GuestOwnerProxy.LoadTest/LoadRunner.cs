using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;
using GuestOwnerProxy.Protocol.Setup;
using GuestOwnerProxy.Server.Services;
using Google.Protobuf;

namespace GuestOwnerProxy.LoadTest;

/// <summary>What one phase (warm-up or measured) produced. Succeeded counts operations that ended as expected
/// (a launch whose guest got its keys, or a request refused for the reason asked for); Requests counts the RPCs sent.</summary>
public sealed record PhaseResult(int Succeeded, int Failed, int Requests, TimeSpan Elapsed, bool StoppedByDuration,
    Dictionary<string, LatencySummary> Latencies, IReadOnlyDictionary<string, int> Errors);

/// <summary>An RPC the target answered with an error (or did not answer): which method, and the status it gave.</summary>
public sealed class RpcFailure(string method, RpcException error) : Exception($"{method}: {error.StatusCode}", error)
{
    public string Method { get; } = method;
    public RpcException Error { get; } = error;

    /// <summary>"GetLaunchSecret refused: InvalidArgument "MEASUREMENT INVALID" (reason MEASUREMENT_INVALID)". The reason is
    /// the google.rpc.ErrorInfo code a server may add (ours does; the original proxy sends the detail string only).</summary>
    public override string Message
    {
        get
        {
            string verb = Error.StatusCode == StatusCode.InvalidArgument ? "refused" : "failed";
            string reason = ReasonOf(Error) is { } code ? $" (reason {code})" : "";
            return $"{Method} {verb}: {Error.StatusCode} \"{Error.Status.Detail}\"{reason}";
        }
    }

    private static string? ReasonOf(RpcException error)
    {
        try
        {
            return RpcStatusMapper.ReasonOf(error);
        }
        catch (InvalidProtocolBufferException)
        {
            return "unreadable grpc-status-details-bin";
        }
    }
}

/// <summary>
/// The cheap refusals of <see cref="LoadMode.Refused"/>: GetLaunchSecret requests any <c>Setup</c> server refuses before
/// it opens a session, and the detail each must come back with (the original server's strings, checked in its order:
/// keyset first, connection id after policy, API version and build id).
/// </summary>
public static class Refusal
{
    /// <summary>A keyset id no configuration has (a load-test name, not a plausible operator's one).</summary>
    public const string UnknownKeyset = "GOP-LOADTEST-UNKNOWN-KEYSET";

    /// <summary>Issued by neither server: ours draws connection ids from 1..2^31-2, the original counts up from 1.</summary>
    public const int UnknownConnectionId = 0;

    public static string ExpectedDetail(RefusalKind kind) => kind switch
    {
        RefusalKind.Keyset => "KEYSET INVALID",
        RefusalKind.Connection => "CONNECTION ID INVALID",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The request: for a connection refusal every check before the connection id must pass, so it carries the
    /// known keyset, policy 0 and the simulated platform's firmware version (which the keyset must allow).</summary>
    public static SecretRequest Request(RefusalKind kind, string keyset, FirmwareVersion version) => new()
    {
        ConnectionId = UnknownConnectionId,
        // A well-formed measurement (48 bytes), so that only the connection id is wrong.
        LaunchMeasurement = ByteString.CopyFrom(new byte[48]),
        ApiMajor = version.ApiMajor,
        ApiMinor = version.ApiMinor,
        BuildId = unchecked((int)version.BuildId),
        Policy = 0,
        KeysetId = kind == RefusalKind.Keyset ? UnknownKeyset : keyset,
    };

    /// <summary>Whether <paramref name="error"/> is the refusal asked for: INVALID_ARGUMENT with the detail, or with the detail
    /// and a ": explanation" after it (refinements keep the original string as a prefix).</summary>
    public static bool IsExpected(RefusalKind kind, RpcException error)
    {
        string expected = ExpectedDetail(kind);
        string detail = error.Status.Detail ?? "";
        return error.StatusCode == StatusCode.InvalidArgument
            && (detail == expected || detail.StartsWith(expected + ":", StringComparison.Ordinal));
    }
}

/// <summary>The target answered a refusal-mode request in a way other than the refusal asked for.</summary>
public sealed class UnexpectedAnswerException(string message) : Exception(message);

/// <summary>
/// N workers pull operation numbers from a shared counter until M have started or the time cap passes. An
/// operation is a launch (the kata sequence over real gRPC with the simulated firmware doing its part) or,
/// in <see cref="LoadMode.Refused"/>, one secret request the target must refuse.
/// </summary>
public sealed class LoadRunner : IDisposable
{
    private static readonly TimeSpan RpcDeadline = TimeSpan.FromSeconds(30);

    private readonly LoadTestOptions _options;
    private readonly PlatformPool? _pool;
    private readonly string[] _steps;
    private readonly LaunchExpectation _expectation;
    private readonly byte[] _image;
    private readonly string _address;
    private readonly GrpcChannel? _shared;

    /// <param name="pool">The simulated platforms; null in <see cref="LoadMode.Refused"/> (no launch is started).</param>
    public LoadRunner(LoadTestOptions options, PlatformPool? pool, LaunchExpectation expectation, byte[] image, string address)
    {
        if (pool is null && options.Mode == LoadMode.Launch)
            throw new ArgumentNullException(nameof(pool), "launches need simulated platforms");
        _options = options;
        _steps = Steps.Of(options.Mode);
        _pool = pool;
        _expectation = expectation;
        _image = image;
        _address = address;
        if (options.Channel == ChannelMode.Shared)
            _shared = GrpcChannel.ForAddress(address);
    }

    public async Task<PhaseResult> RunAsync(int launches, TimeSpan cap)
    {
        int started = 0, succeeded = 0, failed = 0;
        _requests = 0;
        var errors = new ConcurrentDictionary<string, int>();
        var recorders = Enumerable.Range(0, _options.Concurrency).Select(_ => new LatencyRecorder(_steps)).ToArray();
        var watch = Stopwatch.StartNew();
        bool timedOut = false;
        using var stop = new CancellationTokenSource(cap + RpcDeadline);

        async Task Worker(int index)
        {
            var platform = _pool?.For(index, _options.Platforms);
            var kind = _options.Platforms[index % _options.Platforms.Count];
            var refusal = Refusal.Request(_options.Deny, _expectation.Keyset, kind == PlatformKind.Csv ? FirmwareVersion.CsvDefault : FirmwareVersion.SevDefault);
            var recorder = recorders[index];
            GrpcChannel? own = _options.Channel == ChannelMode.Worker ? GrpcChannel.ForAddress(_address) : null;
            try
            {
                while (Interlocked.Increment(ref started) <= launches)
                {
                    if (watch.Elapsed > cap)
                    {
                        timedOut = true;
                        return;
                    }
                    try
                    {
                        if (platform is null)
                            await RefuseAsync(refusal, own ?? _shared, recorder, stop.Token);
                        else
                            await LaunchAsync(platform, own ?? _shared, recorder, stop.Token);
                        Interlocked.Increment(ref succeeded);
                    }
                    catch (Exception ex) when (ex is RpcFailure or FirmwareException or LaunchCheckException or CryptoFormatException or FormatException or UnexpectedAnswerException)
                    {
                        Interlocked.Increment(ref failed);
                        errors.AddOrUpdate(Describe(ex), 1, (_, n) => n + 1);
                    }
                }
            }
            finally
            {
                own?.Dispose();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, _options.Concurrency).Select(i => Task.Run(() => Worker(i))));
        watch.Stop();
        return new PhaseResult(succeeded, failed, _requests, watch.Elapsed, timedOut, LatencyRecorder.Summarize(_steps, recorders),
            new Dictionary<string, int>(errors));
    }

    private int _requests;

    /// <summary>One secret request that must come back refused for the reason asked for.</summary>
    private async Task RefuseAsync(SecretRequest request, GrpcChannel? channel, LatencyRecorder recorder, CancellationToken cancel)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            await Call(channel, "GetLaunchSecret", c => c.GetLaunchSecretAsync(request, deadline: DateTime.UtcNow + RpcDeadline, cancellationToken: cancel).ResponseAsync);
        }
        catch (RpcFailure failure) when (Refusal.IsExpected(_options.Deny, failure.Error))
        {
            Record(recorder, Steps.Refused, start);
            return;
        }
        // Fail loudly: a server that answers a request for an unknown keyset or connection with a secret is broken.
        throw new UnexpectedAnswerException(_options.Deny == RefusalKind.Keyset
            ? $"GetLaunchSecret for the unknown keyset '{Refusal.UnknownKeyset}' was answered with a secret, not refused"
            : $"GetLaunchSecret for the unknown connection id {Refusal.UnknownConnectionId} was answered with a secret, not refused");
    }

    private async Task LaunchAsync(PooledPlatform pooled, GrpcChannel? channel, LatencyRecorder recorder, CancellationToken cancel)
    {
        var platform = pooled.Platform;
        long launchStart = Stopwatch.GetTimestamp();

        // ChannelMode.Rpc: a connection per RPC, as kata's gop-client (one process per call) has.
        var bundle = await Call(channel, "GetLaunchBundle", c => c.GetLaunchBundleAsync(
            new BundleRequest { PlatformPublicKey = pooled.Pdh, CertificateChain = pooled.CertificateChain, Policy = 0 },
            deadline: DateTime.UtcNow + RpcDeadline, cancellationToken: cancel).ResponseAsync);
        long t = Record(recorder, Steps.Bundle, launchStart);

        using var launch = platform.LaunchStart(Decode(bundle.GuestOwnerPublicKey.ToByteArray()), Decode(bundle.LaunchBlob.ToByteArray()), 0);
        t = Record(recorder, Steps.Start, t);

        launch.UpdateData(_image);
        byte[] measurement = launch.Measure();
        t = Record(recorder, Steps.Measure, t);

        var version = platform.Version;
        var secret = await Call(channel, "GetLaunchSecret", c => c.GetLaunchSecretAsync(new SecretRequest
        {
            ConnectionId = bundle.ConnectionId,
            LaunchMeasurement = Google.Protobuf.ByteString.CopyFrom(measurement),
            ApiMajor = version.ApiMajor,
            ApiMinor = version.ApiMinor,
            BuildId = unchecked((int)version.BuildId),
            Policy = 0,
            KeysetId = _expectation.Keyset,
        }, deadline: DateTime.UtcNow + RpcDeadline, cancellationToken: cancel).ResponseAsync);
        t = Record(recorder, Steps.Secret, t);

        _expectation.Check(launch.InjectSecret(secret.LaunchSecretHeader.ToByteArray(), secret.LaunchSecretData.ToByteArray()));
        Record(recorder, Steps.Inject, t);
        Record(recorder, Steps.Launch, launchStart);
    }

    /// <summary>One RPC; an error becomes an <see cref="RpcFailure"/> naming the method.</summary>
    private async Task<T> Call<T>(GrpcChannel? channel, string method, Func<Setup.SetupClient, Task<T>> call)
    {
        Interlocked.Increment(ref _requests);
        try
        {
            if (channel is not null)
                return await call(new Setup.SetupClient(channel));
            using var fresh = GrpcChannel.ForAddress(_address);
            return await call(new Setup.SetupClient(fresh));
        }
        catch (RpcException ex)
        {
            throw new RpcFailure(method, ex);
        }
    }

    private static long Record(LatencyRecorder recorder, string step, long since)
    {
        long now = Stopwatch.GetTimestamp();
        recorder.Add(step, Stopwatch.GetElapsedTime(since, now));
        return now;
    }

    /// <summary>Bundle fields are base64 text (CSV default) or raw (SEV default); raw certificates are never all base64.</summary>
    private static byte[] Decode(byte[] field) =>
        field.Length > 0 && Base64.IsValid(field, out int decoded) && decoded > 0
            ? Convert.FromBase64String(Encoding.ASCII.GetString(field))
            : field;

    private static string Describe(Exception ex) => ex switch
    {
        RpcFailure rpc => rpc.Message,
        FirmwareException fw => $"firmware {fw.Error}: {fw.Message}",
        LaunchCheckException check => $"guest check: {check.Message}",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    public void Dispose() => _shared?.Dispose();
}
