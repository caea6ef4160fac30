using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using GuestOwnerProxy.Server.Policy;
using Grpc.Core;

namespace GuestOwnerProxy.Server.Services;

/// <summary>
/// Domain denials to gRPC statuses: the detail string clients print, plus a google.rpc.Status with an
/// ErrorInfo reason code in the <c>grpc-status-details-bin</c> trailer for clients that read rich errors.
/// Used by <see cref="DenialInterceptor"/>, the one edge where denials become statuses.
/// </summary>
public static class RpcStatusMapper
{
    public const string StatusDetailsTrailer = "grpc-status-details-bin";

    public static RpcException ToRpcException(DenialReason reason)
    {
        var code = reason.Status switch
        {
            DenialStatus.InvalidArgument => StatusCode.InvalidArgument,
            DenialStatus.ResourceExhausted => StatusCode.ResourceExhausted,
            DenialStatus.NotFound => StatusCode.NotFound,
            DenialStatus.Unimplemented => StatusCode.Unimplemented,
            DenialStatus.Unavailable => StatusCode.Unavailable,
            DenialStatus.DataLoss => StatusCode.DataLoss,
            _ => StatusCode.Internal,
        };
        var rich = new Google.Rpc.Status
        {
            Code = (int)code,
            Message = reason.Detail,
            Details =
            {
                Any.Pack(new ErrorInfo { Reason = reason.Code, Domain = DenialReason.ErrorDomain }),
            },
        };
        var trailers = new Metadata { { StatusDetailsTrailer, rich.ToByteArray() } };
        return new RpcException(new Grpc.Core.Status(code, reason.Detail), trailers);
    }

    /// <summary>The ErrorInfo reason code of a received error, for clients and tests.</summary>
    public static string? ReasonOf(RpcException exception)
    {
        var entry = exception.Trailers.Get(StatusDetailsTrailer);
        if (entry is null || !entry.IsBinary)
            return null;
        var status = Google.Rpc.Status.Parser.ParseFrom(entry.ValueBytes);
        return status.Details.Select(d => d.TryUnpack<ErrorInfo>(out var info) ? info : null).FirstOrDefault(i => i is not null)?.Reason;
    }
}
