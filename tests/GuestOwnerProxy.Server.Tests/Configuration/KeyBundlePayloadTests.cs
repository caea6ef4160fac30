using GuestOwnerProxy.Server.Configuration;

namespace GuestOwnerProxy.Server.Tests.Configuration;

public sealed class KeyBundlePayloadTests
{
    [Fact]
    public void Matches_python_json_dumps_byte_for_byte()
    {
        var keys = new Dictionary<string, string> { ["key_id1"] = "RcHGava52DPvj1uoIk/NVDYlwxi0A6yyIZ8ilhEX3X4=", ["b"] = "AA+/" };
        // python3 -c 'import json; print(json.dumps({"key_id1": "RcHG...X4=", "b": "AA+/"}))'
        Assert.Equal("{\"key_id1\": \"RcHGava52DPvj1uoIk/NVDYlwxi0A6yyIZ8ilhEX3X4=\", \"b\": \"AA+/\"}",
            System.Text.Encoding.ASCII.GetString(KeyBundlePayload.Build(["key_id1", "b"], keys)));
    }

    [Fact]
    public void Escapes_like_python_ensure_ascii()
    {
        var keys = new Dictionary<string, string> { ["kä\"\\\n"] = "x" };
        Assert.Equal("{\"k\\u00e4\\\"\\\\\\n\": \"x\"}", System.Text.Encoding.ASCII.GetString(KeyBundlePayload.Build(["kä\"\\\n"], keys)));
    }
}
