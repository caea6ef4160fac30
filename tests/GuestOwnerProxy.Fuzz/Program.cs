using GuestOwnerProxy.Fuzz;
using SharpFuzz;

// gop-fuzz HARNESS               run under afl-fuzz (SharpFuzz fork server; input on standard input),
//                                or once on standard input when not started by afl-fuzz
// gop-fuzz replay HARNESS FILE…  run each file once in this process; print the first unexpected exception (exit 1)
// gop-fuzz seeds DIR [VECTORS]   write the generated seeds DIR/HARNESS/* (with VECTORS: only the vector-derived ones)
// gop-fuzz list                  the harness names
// Instrumented code writes to SharpFuzz's trace map on every branch. Fuzzer.Run points it at afl-fuzz's shared
// memory; before that (set-up, replay, seeds) it must point somewhere harmless.
TraceBuffer.Install();
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: gop-fuzz HARNESS | replay HARNESS FILE... | seeds DIR [VECTORS] | list");
    Console.Error.WriteLine("harnesses: " + string.Join(", ", Harnesses.Names));
    return 2;
}
switch (args[0])
{
    case "list":
        foreach (var name in Harnesses.Names)
            Console.WriteLine(name);
        return 0;
    case "seeds" when args.Length is 2 or 3:
        Seeds.Write(args[1], args.Length == 3 ? args[2] : null);
        return 0;
    case "replay" when args.Length >= 2:
    {
        var target = Harnesses.Get(args[1]);
        int failures = 0;
        foreach (var file in args.Skip(2))
        {
            try
            {
                target(File.ReadAllBytes(file));
            }
            catch (Exception ex)
            {
                failures++;
                Console.Error.WriteLine($"CRASH {args[1]} {file}:");
                Console.Error.WriteLine(ex);
            }
        }
        Console.Error.WriteLine($"replay {args[1]}: {args.Length - 2} inputs, {failures} crashed");
        return failures == 0 ? 0 : 1;
    }
    default:
    {
        if (!Harnesses.Names.Contains(args[0]) && args[0] != Harnesses.SelfTest)
        {
            Console.Error.WriteLine($"unknown harness '{args[0]}'; harnesses: {string.Join(", ", Harnesses.Names)}");
            return 2;
        }
        var target = Harnesses.Get(args[0]);
        Harnesses.Prepare(args[0]);   // slow set-up (simulator keys, broker configuration) before the fork server starts
        Fuzzer.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            target(buffer.ToArray());
        });
        return 0;
    }
}
