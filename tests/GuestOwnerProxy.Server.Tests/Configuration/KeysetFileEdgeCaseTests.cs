using System.Diagnostics;
using System.Text.Json;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Tests.Infrastructure;

namespace GuestOwnerProxy.Server.Tests.Configuration;

/// <summary>keysets.json edge cases: duplicate ids and fields, the nil GUID, an empty file, image paths that are not regular files.</summary>
public sealed class KeysetFileEdgeCaseTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string Digest = "a11cc9f3a11cc9f3a11cc9f3a11cc9f3a11cc9f3a11cc9f3a11cc9f3a11cc9f3";
    private const string Body = $$"""{ "allowed_digests": ["{{Digest}}"], "allowed_keys": ["k1"], "allowed-policies": [0], "allowed-build-ids": [13] }""";

    private ConfigurationLoadResult Load(string keysets) =>
        new BrokerConfigurationLoader().Load(new GuestOwnerProxyOptions
        {
            KeysetsFile = _dir.Write("keysets.json", keysets),
            KeysFile = _dir.Write("keys.json", """{ "k1": "AAAA" }"""),
        });

    private ConfigurationException Fails(string keysets) => Assert.Throws<ConfigurationException>(() => Load(keysets));

    [Fact]
    public void Duplicate_keyset_ids_are_an_error_naming_file_and_keyset()
    {
        var ex = Fails($$"""{ "KS": {{Body}}, "OTHER": {{Body}}, "KS": {{Body}} }""");
        var error = Assert.Single(ex.Errors);
        Assert.EndsWith("keysets.json", error.File);
        Assert.Equal("KS", error.Keyset);
        Assert.Contains("defined more than once", error.Message);
    }

    [Fact]
    public void Duplicate_fields_in_a_keyset_and_in_an_image_are_errors_naming_the_field()
    {
        var ovmf = JsonSerializer.Serialize(_dir.Write("ovmf.fd", new byte[64]));
        var ex = Fails($$"""
            { "KS": { "allowed_digests": ["{{Digest}}"], "allowed_keys": ["k1"], "allowed-policies": [0], "allowed-policies": [1],
                      "allowed-build-ids": [13],
                      "allowed_images": [ { "name": "a", "ovmf": {{ovmf}}, "name": "b" } ] } }
            """);
        Assert.Contains(ex.Errors, e => e.Keyset == "KS" && e.Field == "allowed-policies" && e.Message.Contains("more than once"));
        Assert.Contains(ex.Errors, e => e.Keyset == "KS" && e.Field == "allowed_images[0].name" && e.Message.Contains("more than once"));
    }

    [Fact]
    public void Nil_secret_guid_is_rejected()
    {
        var ex = Fails($$"""
            { "KS": { "allowed_digests": ["{{Digest}}"], "allowed_keys": ["k1"], "allowed-policies": [0],
                      "allowed-build-ids": [13], "secret-guid": "00000000-0000-0000-0000-000000000000" } }
            """);
        var error = Assert.Single(ex.Errors);
        Assert.Equal(("KS", "secret-guid"), (error.Keyset, error.Field));
        Assert.Contains("nil GUID", error.Message);
    }

    [Fact]
    public void Empty_keysets_file_loads_with_a_warning()
    {
        var result = Load("{}");
        Assert.Empty(result.Configuration.Keysets);
        Assert.Contains(result.Warnings, w => w.Contains("no keysets defined"));
    }

    [Fact]
    public void Unmeasured_kernel_must_still_exist()
    {
        var ovmf = JsonSerializer.Serialize(_dir.Write("ovmf.fd", new byte[64]));
        var ex = Fails($$"""
            { "KS": { "allowed_images": [ { "name": "hygon", "ovmf": {{ovmf}}, "kernel": "no-such-vmlinuz", "kernel_hashes": false } ],
                      "allowed_keys": ["k1"], "allowed-policies": [0], "allowed-build-ids": [13] } }
            """);
        var error = Assert.Single(ex.Errors);
        Assert.Equal("allowed_images[0] ('hygon').kernel", error.Field);
        Assert.Contains("no-such-vmlinuz", error.Message);
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public async Task Fifo_and_device_images_are_refused_without_blocking()
    {
        Assert.True(OperatingSystem.IsLinux(), "this check needs stat(2) on Linux");
        var fifo = _dir.File("ovmf.fifo");
        using (var mkfifo = Process.Start("mkfifo", fifo))
            await mkfifo.WaitForExitAsync();
        Assert.Equal(FileKindResult.Special, FileKind.Of(fifo));
        Assert.Equal(FileKindResult.Special, FileKind.Of("/dev/null"));
        Assert.Equal(FileKindResult.Regular, FileKind.Of(_dir.Write("plain", "x")));
        Assert.Equal(FileKindResult.Directory, FileKind.Of(_dir.Path));
        Assert.Equal(FileKindResult.Missing, FileKind.Of(_dir.File("nothing")));

        var keysets = $$"""
            { "KS": { "allowed_images": [ { "name": "fifo", "ovmf": {{JsonSerializer.Serialize(fifo)}} },
                      { "name": "dev", "ovmf": "/dev/zero" } ], "allowed_keys": ["k1"], "allowed-policies": [0], "allowed-build-ids": [13] } }
            """;
        var load = Task.Run(() => Assert.Throws<ConfigurationException>(() => Load(keysets)));
        var finished = await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(20)));
        Assert.True(finished == load, "loading a FIFO image blocked");
        var ex = await load;
        Assert.Contains(ex.Errors, e => e.Field == "allowed_images[0] ('fifo').ovmf" && e.Message.Contains("not a regular file"));
        Assert.Contains(ex.Errors, e => e.Field == "allowed_images[1] ('dev').ovmf" && e.Message.Contains("not a regular file"));
    }
}
