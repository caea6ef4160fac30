using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>
/// Keys under the <c>GuestOwnerProxy</c> section that no setting reads. The binder ignores them, so a typo
/// ("Trust:RootFile", "Sessions:MaxSesions") would silently leave a rule at its default: each one is a failure
/// naming the section, where it came from and the closest known name. The known names are the public settable
/// properties of <see cref="GuestOwnerProxyOptions"/> and its option classes, found by reflection, so a new
/// setting needs no second list. Compared case-insensitively, as .NET configuration compares keys; keys outside
/// the section (other libraries' settings, the host's own switches) are not ours and are not looked at, except a
/// <c>Serilog</c> section: logging is configured in code (LoggingSetup), so one would silently do nothing.
/// </summary>
/// <remarks>
/// The native (trimmed) build keeps a class's property metadata only where it is asked for: the DynamicDependency
/// attributes on <see cref="UnknownFields"/> ask for every options class (UnknownFieldTests checks them against the
/// tree reachable from <see cref="GuestOwnerProxyOptions"/>, so a new options class left out fails the tests, not
/// the native build).
/// </remarks>
public static class SettingNames
{
    /// <summary>The section Serilog.Settings.Configuration would read; refused, see the class summary.</summary>
    public const string SerilogSection = "Serilog";

    // Every class bound under the GuestOwnerProxy section: their public properties are the setting names.
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(GuestOwnerProxyOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(TlsOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(SessionLimitOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(RedisSessionOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(RateLimitOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(TrustOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(BundleEncodingOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(MetricsOptions))]
    public static IReadOnlyList<string> UnknownFields(IConfiguration configuration)
    {
        var failures = new List<string>();
        Check(configuration, configuration.GetSection(GuestOwnerProxyOptions.SectionName), typeof(GuestOwnerProxyOptions), failures);
        var serilog = configuration.GetSection(SerilogSection);
        foreach (var child in serilog.GetChildren())
            failures.Add($"{serilog.Path}{From(configuration, serilog.Path, child.Key)}: unknown field \"{child.Key}\" (a Serilog section is not read: " +
                         "logging is set by GuestOwnerProxy:Debug, LogFormat, LogFile, LogFileFormat and LogFileSync)");
        return failures;
    }

    /// <summary>The setting names of a section bound to <paramref name="type"/>, as the binder matches them.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification =
        "Only options classes reach here, and UnknownFields keeps their public properties (DynamicDependency, checked by UnknownFieldTests).")]
    public static IReadOnlyList<(string Name, Type Type)> Of(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0)
            .Select(p => (p.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? p.Name, p.PropertyType))
            .ToList();

    private static void Check(IConfiguration root, IConfigurationSection section, Type type, List<string> failures)
    {
        if (IsValue(type))
        {
            // A single value given as a section ("Port": { "Value": 1 }) binds to nothing.
            foreach (var child in section.GetChildren())
                failures.Add($"{section.Path}{From(root, section.Path, child.Key)}: unknown field \"{child.Key}\" ({section.Path} is a single value, not a section)");
            return;
        }
        if (ElementType(type) is { } element)
        {
            // Lists and arrays: the children are indices (Urls:0), each an element.
            foreach (var child in section.GetChildren())
                Check(root, child, element, failures);
            return;
        }

        var known = Of(type);
        foreach (var child in section.GetChildren())
        {
            var match = known.FirstOrDefault(k => string.Equals(k.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (match.Name is not null)
            {
                Check(root, child, match.Type, failures);
                continue;
            }
            var names = known.Select(k => k.Name).ToList();
            failures.Add(ClosestName.For(child.Key, names) is { } meant
                ? $"{section.Path}{From(root, section.Path, child.Key)}: unknown field \"{child.Key}\": did you mean '{meant}'?"
                : $"{section.Path}{From(root, section.Path, child.Key)}: unknown field \"{child.Key}\" (known: {string.Join(", ", names)})");
        }
    }

    /// <summary>
    /// What the binder converts from one string: string, numbers, bool, enums and the value types with a string form
    /// ConfigurationBinder knows (the source-generated binder converts the same set; no TypeDescriptor, which the
    /// native build cannot keep).
    /// </summary>
    private static bool IsValue(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(string) || type.IsPrimitive || type.IsEnum || type == typeof(decimal) ||
               type == typeof(TimeSpan) || type == typeof(DateTime) || type == typeof(DateTimeOffset) ||
               type == typeof(Guid) || type == typeof(Uri) || type == typeof(Version) ||
               type == typeof(DateOnly) || type == typeof(TimeOnly) || type == typeof(Half) ||
               type == typeof(Int128) || type == typeof(UInt128) || type == typeof(CultureInfo);
    }

    private static Type? ElementType(Type type)
    {
        if (type.IsArray)
            return type.GetElementType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var definition &&
            (definition == typeof(List<>) || definition == typeof(IList<>) || definition == typeof(IReadOnlyList<>) ||
             definition == typeof(ICollection<>) || definition == typeof(IEnumerable<>) || definition == typeof(HashSet<>) ||
             definition == typeof(ISet<>)))
            return type.GetGenericArguments()[0];
        return null;
    }

    /// <summary>" (file)", " (command line)" or " (environment variables)": where the operator wrote the key; "" when unknown.</summary>
    private static string From(IConfiguration root, string parentPath, string key)
    {
        if (root is not IConfigurationRoot configurationRoot)
            return "";
        var provider = Providers(configurationRoot).LastOrDefault(p =>
            p.GetChildKeys([], parentPath).Contains(key, StringComparer.OrdinalIgnoreCase));
        return provider switch
        {
            FileConfigurationProvider file =>
                $" ({file.Source.FileProvider?.GetFileInfo(file.Source.Path ?? "").PhysicalPath ?? file.Source.Path})",
            CommandLineConfigurationProvider => " (command line)",
            EnvironmentVariablesConfigurationProvider => " (environment variables)",
            _ => "",
        };
    }

    private static IEnumerable<IConfigurationProvider> Providers(IConfigurationRoot root)
    {
        foreach (var provider in root.Providers)
        {
            if (provider is ChainedConfigurationProvider { Configuration: IConfigurationRoot chained })
            {
                foreach (var inner in Providers(chained))
                    yield return inner;
            }
            else
                yield return provider;
        }
    }
}
