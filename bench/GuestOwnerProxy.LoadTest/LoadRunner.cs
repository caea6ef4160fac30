using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;
using GuestOwnerProxy.Protocol.Setup;

namespace GuestOwnerProxy.LoadTest;

/// <summary>What one phase (warm-up or measured) produced.</summary>
public sealed record PhaseResult(int Succeeded, int Failed, TimeSpan Elapsed, bool StoppedByDuration,
    Dictionary<string, LatencySummary> Latencies, IReadOnlyDictionary<string, int> Errors);

/// <summary>
/// N workers pull launch numbers from a shared counter until M launches have started or the time cap
/// passes. Each launch is the kata sequence over real gRPC with the simulated firmware doing its part.
/// </summary>
public sealed class LoadRunner : IDisposable
{
    private static readonly TimeSpan RpcDeadline = TimeSpan.FromSeconds(30);

    private readonly LoadTestOptions _options;
    private readonly PlatformPool _pool;
    private readonly LaunchExpectation _expectation;
    private readonly byte[] _image;
    private readonly string _address;
    private readonly GrpcChannel? _shared;

    public LoadRunner(LoadTestOptions options, PlatformPool pool, LaunchExpectation expectation, byte[] image, string address)
    {
        _options = options;
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
        var errors = new ConcurrentDictionary<string, int>();
        var recorders = Enumerable.Range(0, _options.Concurrency).Select(_ => new LatencyRecorder()).ToArray();
        var watch = Stopwatch.StartNew();
        bool timedOut = false;
        using var stop = new CancellationTokenSource(cap + RpcDeadline);

        async Task Worker(int index)
        {
            var platform = _pool.For(index, _options.Platforms);
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
                        await LaunchAsync(platform, own ?? _shared, recorder, stop.Token);
                        Interlocked.Increment(ref succeeded);
                    }
                    catch (Exception ex) when (ex is RpcException or FirmwareException or LaunchCheckException or CryptoFormatException or FormatException)
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
        return new PhaseResult(succeeded, failed, watch.Elapsed, timedOut, LatencyRecorder.Summarize(recorders),
            new Dictionary<string, int>(errors));
    }

    private async Task LaunchAsync(PooledPlatform pooled, GrpcChannel? channel, LatencyRecorder recorder, CancellationToken cancel)
    {
        var platform = pooled.Platform;
        long launchStart = Stopwatch.GetTimestamp();

        // ChannelMode.Rpc: a connection per RPC, as kata's gop-client (one process per call) has.
        var bundle = await Call(channel, c => c.GetLaunchBundleAsync(
            new BundleRequest { PlatformPublicKey = pooled.Pdh, CertificateChain = pooled.CertificateChain, Policy = 0 },
            deadline: DateTime.UtcNow + RpcDeadline, cancellationToken: cancel).ResponseAsync);
        long t = Record(recorder, Steps.Bundle, launchStart);

        using var launch = platform.LaunchStart(Decode(bundle.GuestOwnerPublicKey.ToByteArray()), Decode(bundle.LaunchBlob.ToByteArray()), 0);
        t = Record(recorder, Steps.Start, t);

        launch.UpdateData(_image);
        byte[] measurement = launch.Measure();
        t = Record(recorder, Steps.Measure, t);

        var version = platform.Version;
        var secret = await Call(channel, c => c.GetLaunchSecretAsync(new SecretRequest
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

    private async Task<T> Call<T>(GrpcChannel? channel, Func<Setup.SetupClient, Task<T>> call)
    {
        if (channel is not null)
            return await call(new Setup.SetupClient(channel));
        using var fresh = GrpcChannel.ForAddress(_address);
        return await call(new Setup.SetupClient(fresh));
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
        RpcException rpc => $"rpc {rpc.StatusCode}: {rpc.Status.Detail}",
        FirmwareException fw => $"firmware {fw.Error}: {fw.Message}",
        LaunchCheckException check => $"guest check: {check.Message}",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    public void Dispose() => _shared?.Dispose();
}
