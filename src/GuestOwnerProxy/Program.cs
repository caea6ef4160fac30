using GuestOwnerProxy.Cli;

// One executable, two roles. The server: no arguments, the Python server's flags (-p/-c/-k/-l/-d/-u) or
// `serve`. Everything else is an operator command (`gop digest`, `gop client GetBundle`, ...; `gop help`
// lists them). See docs/cli.md.
return GopCommandLine.Run(args, Console.Out, Console.Error);
