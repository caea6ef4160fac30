using System.Threading.RateLimiting;
using GuestOwnerProxy.Server.Broker;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace GuestOwnerProxy.Server.Services;

/// <summary>
/// Per-client request rate on the broker's methods with ASP.NET Core's token bucket limiter, partitioned by
/// <see cref="ClientIdentity"/>: a host flooding the proxy is answered RESOURCE_EXHAUSTED (audited, logged as a
/// count) before its requests cost a certificate check or a session, while other hosts keep their own budget.
/// Health and reflection are not limited.
/// </summary>
public static class BrokerRateLimiter
{
    public static void Configure(RateLimiterOptions limiter, RateLimitOptions settings)
    {
        limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            settings.PermitsPerSecond == 0 || BrokerMethods.Of(context) is null
                ? RateLimitPartition.GetNoLimiter("")
                : RateLimitPartition.GetTokenBucketLimiter(ClientIdentity.Of(context), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = settings.Burst,
                    TokensPerPeriod = settings.PermitsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
        limiter.OnRejected = (rejected, _) =>
        {
            var context = rejected.HttpContext;
            if (BrokerMethods.Of(context) is { } method)
                context.RequestServices.GetRequiredService<DecisionRecorder>()
                    .RefuseAtEdge<object>(method.Event, method.Protocol, BrokerMethods.PeerOf(context), DenialReason.RateLimited);
            BrokerMethods.WriteTrailersOnly(context.Response, DenialReason.RateLimited);
            return ValueTask.CompletedTask;
        };
    }
}
