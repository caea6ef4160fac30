using GuestOwnerProxy.Server.Policy;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace GuestOwnerProxy.Server.Services;

/// <summary>
/// The one place where failures of every service become gRPC statuses: a denial keeps its detail string and
/// reason code (<see cref="RpcStatusMapper"/>); anything unexpected is logged by type only (a message may quote
/// request bytes) and answered INTERNAL, so no stack trace or exception text reaches a client (fail closed).
/// </summary>
public sealed class DenialInterceptor : Interceptor
{
    private readonly ILogger<DenialInterceptor> _logger;

    public DenialInterceptor(ILogger<DenialInterceptor> logger) => _logger = logger;

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (LaunchDeniedException ex)
        {
            throw RpcStatusMapper.ToRpcException(ex.Reason);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            _logger.LogError("Unexpected failure in {Method} ({ExceptionType}); request denied", context.Method, ex.GetType().Name);
            throw RpcStatusMapper.ToRpcException(DenialReason.InternalError);
        }
    }
}
