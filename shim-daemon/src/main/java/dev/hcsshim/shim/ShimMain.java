package dev.hcsshim.shim;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code containerd-shim-runhcs-v1}: the program containerd runs for runtime
 * {@code io.containerd.runhcs.v1}. {@code start} launches (or finds) the serving daemon and
 * prints its address; {@code delete} cleans up after a shim that is gone; {@code serve} is the
 * daemon itself (started by {@code start}, never by containerd).
 */
@Command(name = "containerd-shim-runhcs-v1", sortOptions = false,
        description = "containerd runtime shim for io.containerd.runhcs.v1",
        footer = "Commands: start | delete | serve (internal)")
public final class ShimMain implements Callable<Integer> {

    @Option(names = {"-namespace", "--namespace"}, description = "containerd namespace")
    String namespace = "";

    @Option(names = {"-id", "--id"}, description = "container (task) id")
    String id = "";

    @Option(names = {"-address", "--address"}, description = "containerd's gRPC address")
    String address = "";

    @Option(names = {"-publish-binary", "--publish-binary"}, description = "containerd binary for publishing events (unused: events go over ttrpc)")
    String publishBinary = "";

    @Option(names = {"-bundle", "--bundle"}, description = "bundle directory (default: working directory)")
    Path bundle;

    @Option(names = {"-socket", "--socket"}, description = "serve on this address instead of the derived one")
    String socket = "";

    @Option(names = {"-debug", "--debug"}, description = "log at debug level")
    boolean debug;

    @Option(names = {"-v", "--version"}, description = "print the version and exit")
    boolean version;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    @Parameters(arity = "0..1", paramLabel = "COMMAND")
    String command;

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new ShimMain());
        cli.setPosixClusteredShortOptionsAllowed(false);
        System.exit(cli.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (version) {
            System.out.println("containerd-shim-runhcs-v1:");
            System.out.println("  Version: " + Version.VERSION);
            System.out.println("  Runtime: " + ShimFlags.RUNTIME);
            System.out.println("  Java:    " + Runtime.version());
            return 0;
        }
        ShimFlags flags = new ShimFlags(namespace, id, address, publishBinary, bundle, socket, debug, command);
        if (command == null) {
            System.err.println("containerd-shim-runhcs-v1: a command is required (start, delete); see -h");
            return 2;
        }
        return switch (command) {
            case "start" -> new StartCommand(flags).run();
            case "delete" -> new DeleteCommand(flags).run();
            case "serve" -> new ServeCommand(flags).run();
            case "aot-train" -> AotTraining.run(); // build time only: records the AOT cache
            default -> {
                System.err.println("containerd-shim-runhcs-v1: unknown command " + command + " (want start or delete)");
                yield 2;
            }
        };
    }
}
