using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using GuestOwnerProxy.Server.Observability;

namespace GuestOwnerProxy.Server.Services;

/// <summary>
/// Times every unary call of the mapped services (Setup, keybroker, health) for <c>gop_grpc_request_duration_seconds</c>,
/// labelled by the routed method (a bounded set: unknown paths never reach an interceptor) and the status code the
/// client gets. Registered outside <see cref="DenialInterceptor"/>, so it sees the mapped status. Requests refused by
/// the rate limiter or the malformed-request guard never reach gRPC and are counted by their decisions instead.
/// </summary>
public sealed class RequestMetricsInterceptor(GopMetrics metrics) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        long started = Stopwatch.GetTimestamp();
        var status = StatusCode.OK;
        try
        {
            return await continuation(request, context);
        }
        catch (RpcException ex)
        {
            status = ex.StatusCode;
            throw;
        }
        catch
        {
            status = StatusCode.Unknown;
            throw;
        }
        finally
        {
            metrics.RequestCompleted(context.Method, status.ToString(), Stopwatch.GetElapsedTime(started));
        }
    }
}
