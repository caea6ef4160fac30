using System.Net;
using System.Security.Cryptography.X509Certificates;
using GuestOwnerProxy.Server.Configuration;
using Microsoft.AspNetCore.Http;
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

    public static void Configure(KestrelServerOptions kestrel, GuestOwnerProxyOptions options)
    {
        kestrel.AddServerHeader = false;
        X509Certificate2? certificate = null;
        foreach (var url in UrlsOf(options))
        {
            BindingAddress address;
            try
            {
                address = BindingAddress.Parse(url);
            }
            catch (FormatException ex)
            {
                throw new ConfigurationException("appsettings GuestOwnerProxy:Urls", $"'{url}' is not a URL: {ex.Message}");
            }
            bool https = address.Scheme.Equals("https", StringComparison.OrdinalIgnoreCase);
            if (!https && !address.Scheme.Equals("http", StringComparison.OrdinalIgnoreCase))
                throw new ConfigurationException("appsettings GuestOwnerProxy:Urls", $"'{url}': scheme must be http (h2c) or https");
            if (https)
                certificate ??= LoadCertificate(options.Tls);

            void Endpoint(ListenOptions listen)
            {
                listen.Protocols = HttpProtocols.Http2;
                if (https)
                    listen.UseHttps(HttpsOptions(certificate!, options.Tls));
            }

            var host = address.Host;
            int port = address.Port;
            if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) && port == 0)
                kestrel.Listen(IPAddress.Loopback, 0, Endpoint); // Kestrel cannot bind "localhost" to an ephemeral port
            else if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
                kestrel.ListenLocalhost(port, Endpoint);
            else if (host is "*" or "+" or "[::]" or "::")
                kestrel.ListenAnyIP(port, Endpoint);
            else if (IPAddress.TryParse(host.Trim('[', ']'), out var ip))
                kestrel.Listen(ip, port, Endpoint);
            else
                throw new ConfigurationException("appsettings GuestOwnerProxy:Urls",
                    $"'{url}': host must be localhost, * or an IP address, not '{host}'");
        }
    }

    private static X509Certificate2 LoadCertificate(TlsOptions tls)
    {
        const string source = "appsettings GuestOwnerProxy:Tls";
        if (string.IsNullOrEmpty(tls.CertificateFile) || string.IsNullOrEmpty(tls.KeyFile))
            throw new ConfigurationException(source, "https endpoints need CertificateFile and KeyFile (PEM)");
        try
        {
            return X509Certificate2.CreateFromPemFile(tls.CertificateFile, tls.KeyFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new ConfigurationException(source, $"cannot load certificate '{tls.CertificateFile}' with key '{tls.KeyFile}': {ex.Message}");
        }
    }

    private static HttpsConnectionAdapterOptions HttpsOptions(X509Certificate2 certificate, TlsOptions tls)
    {
        var https = new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate,
            ClientCertificateMode = tls.RequireClientCertificate ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.NoCertificate,
        };
        if (tls.RequireClientCertificate && !string.IsNullOrEmpty(tls.ClientCaFile))
        {
            var authorities = new X509Certificate2Collection();
            try
            {
                authorities.ImportFromPemFile(tls.ClientCaFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                throw new ConfigurationException("appsettings GuestOwnerProxy:Tls", $"cannot load ClientCaFile '{tls.ClientCaFile}': {ex.Message}");
            }
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
