using System.Text;
using GuestOwnerProxy.Server.Configuration;

namespace GuestOwnerProxy.Server.Tests.Configuration;

public sealed class KeyBundlePayloadLengthTests
{
    [Fact]
    public void Length_matches_the_bytes_and_DEL_and_astral_characters_escape_like_python()
    {
        // python3 -c 'import json; print(json.dumps({"a\x7f": "b\U0001F600"}))' → {"a\u007f": "b\ud83d\ude00"}
        var keys = new Dictionary<string, string> { ["a\u007f"] = "b\U0001F600", ["k"] = "AA==" };
        var bytes = KeyBundlePayload.Build(["a\u007f", "k"], keys);
        Assert.Equal("{\"a\\u007f\": \"b\\ud83d\\ude00\", \"k\": \"AA==\"}", Encoding.ASCII.GetString(bytes));
        Assert.Equal(bytes.Length, KeyBundlePayload.Length(["a\u007f", "k"], keys));
        Assert.Equal("{}", Encoding.ASCII.GetString(KeyBundlePayload.Build([], keys)));
    }
}
