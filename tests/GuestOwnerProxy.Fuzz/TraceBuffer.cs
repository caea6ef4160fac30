using System.Runtime.InteropServices;

namespace GuestOwnerProxy.Fuzz;

/// <summary>A private trace map for instrumented code that runs outside afl-fuzz (a null map would crash it).</summary>
public static unsafe class TraceBuffer
{
    private const int MapSize = 1 << 16;

    public static void Install()
    {
        if (SharpFuzz.Common.Trace.SharedMem == null)
            SharpFuzz.Common.Trace.SharedMem = (byte*)NativeMemory.AllocZeroed(MapSize);
    }
}
