using System.Text.Encodings.Web;
using System.Text.Json;

namespace GuestOwnerProxy.Cli;

/// <summary>Where a command writes. Tests and the client command use it to keep stdout exact.</summary>
public sealed record CliContext(TextWriter Out, TextWriter Err);

/// <summary>One <c>gop</c> command (possibly two words: "cert show").</summary>
public abstract class CliCommand
{
    /// <summary>"digest", "cert show", "client GetBundle".</summary>
    public abstract string Name { get; }

    /// <summary>One line for the overview.</summary>
    public abstract string Summary { get; }

    /// <summary>Full help: synopsis and options.</summary>
    public abstract string Help { get; }

    public abstract IReadOnlyList<OptionSpec> Options { get; }

    public abstract Task<int> RunAsync(CommandArguments args, CliContext context);

    protected static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}

public static class CliJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(TextWriter output, object value) => output.WriteLine(JsonSerializer.Serialize(value, Options));
}
