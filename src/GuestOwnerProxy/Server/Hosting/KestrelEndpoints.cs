using System.Net;
using System.Security.Cryptography.X509Certificates;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Observability;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace GuestOwnerProxy.Server.Hosting;

/// <summary>
/// Endpoints from <see cref="GuestOwnerProxyOptions"/>: by default h2c on localhost:50051 (what every
/// deployed client speaks), HTTP/2 only; https URLs use the PEM certificate and key from
/// <see cref="TlsOptions"/>, optionally requiring a client certificate.
/// </summary>
public static class KestrelEndpoints
{
    public static IReadOnlyList<string> UrlsOf(GuestOwnerProxyOptions options) =>
        options.Urls.Count > 0 ? options.Urls : [$"http://{options.ListenAddress}:{options.Port}"];

    /// <summary>
    /// Listens on the endpoints of settings that <see cref="GuestOwnerProxyOptionsValidator"/> accepted (URLs parse,
    /// https has a loadable certificate and key): nothing is checked twice here. A file that changed in between
    /// still fails the start: ServerHost reports the certificate or I/O error (exit 2).
    /// </summary>
    public static void Configure(KestrelServerOptions kestrel, GuestOwnerProxyOptions options)
    {
        kestrel.AddServerHeader = false;
        if (options.Metrics.Url is { } metricsUrl)
            Listen(kestrel, ListenEndpoint.Parse(metricsUrl), MetricsEndpoint.Configure);
        X509Certificate2? certificate = null;
        foreach (var url in UrlsOf(options))
        {
            var endpoint = ListenEndpoint.Parse(url);
            if (endpoint.Https)
                certificate ??= X509Certificate2.CreateFromPemFile(options.Tls.CertificateFile!, options.Tls.KeyFile);

            void Endpoint(ListenOptions listen)
            {
                listen.Protocols = HttpProtocols.Http2;
                if (endpoint.Https)
                    listen.UseHttps(HttpsOptions(certificate!, options.Tls));
            }

            Listen(kestrel, endpoint, Endpoint);
        }
    }

    private static void Listen(KestrelServerOptions kestrel, ListenEndpoint endpoint, Action<ListenOptions> configure)
    {
        switch (endpoint.Host)
        {
            case ListenHost.Localhost when endpoint.Port == 0:
                kestrel.Listen(IPAddress.Loopback, 0, configure); // Kestrel cannot bind "localhost" to an ephemeral port
                break;
            case ListenHost.Localhost:
                kestrel.ListenLocalhost(endpoint.Port, configure);
                break;
            case ListenHost.AnyAddress:
                kestrel.ListenAnyIP(endpoint.Port, configure);
                break;
            default:
                kestrel.Listen(endpoint.Address!, endpoint.Port, configure);
                break;
        }
    }

    private static HttpsConnectionAdapterOptions HttpsOptions(X509Certificate2 certificate, TlsOptions tls)
    {
        var https = new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate,
            ClientCertificateMode = tls.RequireClientCertificate ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.NoCertificate,
        };
        if (tls.RequireClientCertificate && !string.IsNullOrWhiteSpace(tls.ClientCaFile))
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(tls.ClientCaFile);
            https.ClientCertificateValidation = (client, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(client);
            };
        }
        return https;
    }
}
