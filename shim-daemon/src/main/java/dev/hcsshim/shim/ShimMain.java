package dev.hcsshim.shim;

import dev.hcsshim.shim.task.Version;
import dev.hcsshim.transport.NettyDefaults;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/**
 * {@code containerd-shim-runhcs-v1}: the program containerd runs for runtime
 * {@code io.containerd.runhcs.v1}. {@code start} launches (or finds) the serving daemon and
 * prints its address; {@code delete} cleans up after a shim that is gone; {@code serve} is the
 * daemon itself (started by {@code start}, never by containerd).
 *
 * <p>containerd passes Go flag syntax ({@code -namespace ns}, {@code -debug}), which Commons CLI
 * parses with single-dash long options; picocli (shimdiag's parser) serves the human CLI.
 */
public final class ShimMain {
    private ShimMain() {}

    private static Options options() {
        Options o = new Options();
        o.addOption(value("namespace", "containerd namespace"));
        o.addOption(value("id", "container (task) id"));
        o.addOption(value("address", "containerd's gRPC address"));
        o.addOption(value("publish-binary", "containerd binary for publishing events (unused: events go over ttrpc)"));
        o.addOption(value("bundle", "bundle directory (default: working directory)"));
        o.addOption(value("socket", "serve on this address instead of the derived one"));
        o.addOption(value("socket-fd", "serve: the socket start bound and listens on is this inherited descriptor"));
        o.addOption(Option.builder().longOpt("debug").desc("log at debug level").get());
        o.addOption(Option.builder("v").longOpt("version").desc("print the version and exit").get());
        o.addOption(Option.builder("h").longOpt("help").desc("show this help").get());
        return o;
    }

    private static Option value(String name, String description) {
        return Option.builder().longOpt(name).hasArg().argName(name.toUpperCase(java.util.Locale.ROOT)).desc(description).get();
    }

    private static int socketFd(CommandLine cli) {
        String fd = cli.getOptionValue("socket-fd");
        if (fd == null) {
            return ShimFlags.NO_SOCKET_FD;
        }
        try {
            int n = Integer.parseInt(fd);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("-socket-fd wants a descriptor number, got " + fd);
    }

    public static void main(String[] args) throws Exception {
        ShimLogProvider.select();
        NettyDefaults.apply();
        // The daemon's epoll start-up needs no flag: it begins on the other core at once.
        ServeCommand.IoStart io = args.length > 0 && "serve".equals(args[args.length - 1]) ? ServeCommand.IoStart.begin() : null;
        System.exit(run(args, io));
    }

    static int run(String[] args, ServeCommand.IoStart io) throws Exception {
        Options options = options();
        CommandLine cli;
        try {
            cli = DefaultParser.builder().setAllowPartialMatching(false).get().parse(options, args);
        } catch (ParseException e) {
            System.err.println("containerd-shim-runhcs-v1: " + e.getMessage() + "; see -h");
            return 2;
        }
        if (cli.hasOption("help")) {
            HelpFormatter.builder().get().printHelp("containerd-shim-runhcs-v1 [flags] start|delete",
                    "containerd runtime shim for " + ShimFlags.RUNTIME, options, "", true);
            return 0;
        }
        if (cli.hasOption("version")) {
            System.out.println("containerd-shim-runhcs-v1:");
            System.out.println("  Version: " + Version.VERSION);
            System.out.println("  Runtime: " + ShimFlags.RUNTIME);
            System.out.println("  Java:    " + Runtime.version());
            return 0;
        }
        List<String> rest = cli.getArgList();
        if (rest.size() != 1) {
            System.err.println("containerd-shim-runhcs-v1: want exactly one command (start, delete), got " + rest + "; see -h");
            return 2;
        }
        String command = rest.get(0);
        String bundle = cli.getOptionValue("bundle");
        ShimFlags flags;
        try {
            flags = new ShimFlags(cli.getOptionValue("namespace", ""), cli.getOptionValue("id", ""),
                    cli.getOptionValue("address", ""), cli.getOptionValue("publish-binary", ""),
                    bundle == null ? null : Path.of(bundle), cli.getOptionValue("socket", ""), socketFd(cli), cli.hasOption("debug"), command);
        } catch (IllegalArgumentException e) {
            System.err.println("containerd-shim-runhcs-v1: " + e.getMessage());
            return 2;
        }
        if (flags.socketHandedOver() && flags.socket().isEmpty()) {
            System.err.println("containerd-shim-runhcs-v1: -socket-fd needs -socket (where that socket is bound)");
            return 2;
        }
        return switch (command) {
            case "start" -> new StartCommand(flags).run();
            case "delete" -> new DeleteCommand(flags).run();
            case "serve" -> new ServeCommand(flags).run(io != null ? io : ServeCommand.IoStart.begin());
            default -> {
                System.err.println("containerd-shim-runhcs-v1: unknown command " + command + " (want start or delete)");
                yield 2;
            }
        };
    }
}
