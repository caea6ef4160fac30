using GuestOwnerProxy.Cli;
using GuestOwnerProxy.Server.Hosting;

// One executable, two roles. The server: no arguments, the Python server's flags (-p/-c/-k/-l/-d/-u,
// or any other leading option) or `serve`. Everything else is an operator command (`gop digest`,
// `gop client GetBundle`, ...; `gop help` lists them). See docs/cli.md.
return CliApp.IsServerInvocation(args)
    ? ServerHost.Run(CliApp.ServerArguments(args))
    : CliApp.Run(args, Console.Out, Console.Error);
