using System.Buffers.Binary;
using Google.Protobuf;
using GuestOwnerProxy.Server.Broker;
using GuestOwnerProxy.Server.Policy;
using Microsoft.AspNetCore.Http;

namespace GuestOwnerProxy.Server.Services;

/// <summary>
/// Answers a request whose body is not the method's message with INVALID_ARGUMENT and a short reason, audited
/// like every other refusal, before gRPC sees it. grpc-dotnet deserialises a unary request outside the
/// interceptor pipeline and answers a body that does not parse with UNKNOWN and a stack trace in the log,
/// per request; a host sending garbage in a loop could fill the disk and learn nothing useful from the status.
/// The guard reads the (small, bounded) body once, checks the 5-byte gRPC frame and parses the message with
/// the method's own parser; a body that parses is handed on unchanged.
/// </summary>
public sealed class MalformedRequestGuard
{
    /// <summary>Largest accepted request message (a full SEV chain export is about 11.5 KiB); also gRPC's own limit.</summary>
    public const int MaxMessageSize = 256 * 1024;

    private const int FrameHeaderSize = 5;

    private readonly RequestDelegate _next;
    private readonly DecisionRecorder _recorder;

    public MalformedRequestGuard(RequestDelegate next, DecisionRecorder recorder)
    {
        _next = next;
        _recorder = recorder;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        if (BrokerMethods.Of(context) is not { } method)
        {
            await _next(context);
            return;
        }

        var body = await ReadBoundedAsync(context.Request.Body, MaxMessageSize + FrameHeaderSize, context.RequestAborted);
        DenialReason? refusal = body is null
            ? DenialReason.RequestTooLarge.With($"the request exceeds {MaxMessageSize} bytes")
            : Check(body, method);
        if (refusal is not null)
        {
            _recorder.RefuseAtEdge<object>(method.Event, method.Protocol, BrokerMethods.PeerOf(context), refusal);
            BrokerMethods.WriteTrailersOnly(context.Response, refusal);
            return;
        }
        context.Request.Body = new MemoryStream(body!, writable: false);
        await _next(context);
    }

    private static DenialReason? Check(byte[] body, BrokerMethod method)
    {
        string what = $"the body is not a {method.MessageName} message";
        if (body.Length < FrameHeaderSize)
            return DenialReason.RequestMalformed.With($"{what}: {body.Length} bytes, shorter than a gRPC frame header");
        // A compressed message cannot be checked without decompressing attacker input; kata's clients never compress.
        if (body[0] == 1)
            return DenialReason.RequestMalformed.With($"{what}: compressed request messages are not accepted");
        if (body[0] != 0)
            return DenialReason.RequestMalformed.With($"{what}: gRPC frame flag 0x{body[0]:x2}");
        uint length = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1));
        if (length != body.Length - FrameHeaderSize)
            return DenialReason.RequestMalformed.With($"{what}: the gRPC frame announces {length} bytes, {body.Length - FrameHeaderSize} follow");
        try
        {
            method.Parser.ParseFrom(body, FrameHeaderSize, (int)length);
            return null;
        }
        catch (InvalidProtocolBufferException ex)
        {
            // Protobuf's messages describe the encoding error, never the bytes.
            return DenialReason.RequestMalformed.With($"{what}: {ex.Message.TrimEnd('.')}");
        }
    }

    /// <summary>The whole body, or null when it is longer than <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadBoundedAsync(Stream body, int limit, CancellationToken cancel)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancel)) > 0)
        {
            if (buffer.Length + read > limit)
                return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
