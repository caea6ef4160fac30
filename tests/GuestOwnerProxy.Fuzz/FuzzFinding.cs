namespace GuestOwnerProxy.Fuzz;

/// <summary>Thrown by a harness when an oracle fails (a broker INTERNAL_ERROR, a round trip that does not hold):
/// it escapes to SharpFuzz, which reports the input as a crash.</summary>
public sealed class FuzzFinding(string message) : Exception(message);
