namespace GuestOwnerProxy.Server.Tests.Infrastructure;

/// <summary>Waiting, boundedly, for something the server does in the background (a reload poll, a health change).</summary>
public static class Eventually
{
    public static async Task WaitFor(Func<bool> condition, double seconds = 10)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"condition not reached within {seconds} s");
            await Task.Delay(50);
        }
    }
}
