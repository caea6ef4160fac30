using System.Net;
using Microsoft.AspNetCore.Http;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>Where a listen URL binds.</summary>
public enum ListenHost
{
    Localhost,
    AnyAddress,
    Address,
}

/// <summary>
/// One endpoint of <see cref="GuestOwnerProxyOptions.Urls"/> (or the default one from ListenAddress and Port):
/// http is h2c, https is TLS. Parsed in one place, so the settings validator refuses exactly the URLs
/// Kestrel setup could not bind.
/// </summary>
public sealed record ListenEndpoint(string Url, bool Https, ListenHost Host, IPAddress? Address, int Port)
{
    /// <summary>The endpoint, or null with the reason (worded to follow the quoted URL).</summary>
    public static ListenEndpoint? TryParse(string url, out string? problem)
    {
        problem = null;
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException ex)
        {
            problem = $"is not a URL: {ex.Message}";
            return null;
        }
        bool https = address.Scheme.Equals("https", StringComparison.OrdinalIgnoreCase);
        if (!https && !address.Scheme.Equals("http", StringComparison.OrdinalIgnoreCase))
        {
            problem = "scheme must be http (h2c) or https";
            return null;
        }
        if (address.IsUnixPipe || address.IsNamedPipe)
        {
            problem = "host must be localhost, * or an IP address, not a pipe";
            return null;
        }
        if (address.Port is < 0 or > 65535)
        {
            problem = $"port {address.Port} is not 0..65535";
            return null;
        }
        var host = address.Host;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            return new ListenEndpoint(url, https, ListenHost.Localhost, null, address.Port);
        if (host is "*" or "+" or "[::]" or "::")
            return new ListenEndpoint(url, https, ListenHost.AnyAddress, null, address.Port);
        if (IPAddress.TryParse(host.Trim('[', ']'), out var ip))
            return new ListenEndpoint(url, https, ListenHost.Address, ip, address.Port);
        problem = $"host must be localhost, * or an IP address, not '{host}'";
        return null;
    }

    /// <summary>For URLs the settings validator accepted.</summary>
    public static ListenEndpoint Parse(string url) =>
        TryParse(url, out var problem) ?? throw new InvalidOperationException($"listen URL '{url}' {problem} (settings not validated)");
}
