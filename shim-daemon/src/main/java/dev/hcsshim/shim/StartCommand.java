package dev.hcsshim.shim;

import dev.hcsshim.shim.sharing.BuildIdentity;
import dev.hcsshim.shim.sharing.DaemonLeases;
import dev.hcsshim.shim.sharing.DaemonPlacement;
import dev.hcsshim.shim.sharing.TaskGrouping;
import dev.hcsshim.shim.task.IdRules;
import dev.hcsshim.shim.task.RuntimeOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code start}: find or launch the daemon that will serve this task and print its address.
 *
 * <p>This runs on containerd's critical path for every container and containerd takes every
 * byte it prints as the address, so it stays small: no Netty, gRPC, JNA or logging here, and
 * the only output on success is the address (no newline, like runc's shim).
 */
final class StartCommand {
    /** How long the daemon may take to say it serves; a cold JVM on a loaded machine is slow. */
    private static final long READY_TIMEOUT_SECONDS = 60;
    /** How often start launches a daemon that then finds its scope served by another (each time a race lost). */
    private static final int MAX_LAUNCHES = 3;

    private final ShimFlags flags;

    StartCommand(ShimFlags flags) {
        this.flags = flags;
    }

    int run() {
        try {
            IdRules.requireValid("namespace", flags.namespace());
            IdRules.requireValid("id", flags.id());
            byte[] options = System.in.readAllBytes();
            Path bundle = flags.bundleDir();
            DaemonPlacement placement = placement(flags, bundle, RuntimeOptions.parseIfGiven(options));
            ShimEndpoint endpoint = flags.socket().isEmpty()
                    ? ShimEndpoint.forShim(flags.address(), flags.namespace(), placement.key())
                    : ShimEndpoint.at(flags.socket());

            String address = null;
            DaemonLeases leases = new DaemonLeases(endpoint.path());
            for (int attempt = 0; address == null; attempt++) {
                if (placement.shared() && leases.joinIfServing(flags.id(), endpoint::isServing)) {
                    // the daemon of this pod, group or namespace serves this task too
                    address = Platforms.current().address(endpoint.path(), flags.namespace(), placement.key());
                } else if (attempt == MAX_LAUNCHES) {
                    throw new StartException("no daemon for " + placement.key() + " after " + MAX_LAUNCHES + " launches");
                } else {
                    // null: another daemon of the scope won the race to bind; join it next round
                    address = launchDaemon(endpoint, options, bundle, placement);
                }
            }
            writeAddressFile(bundle, address);
            System.out.print(address);
            System.out.flush();
            return 0;
        } catch (StartException | IllegalArgumentException e) {
            System.err.print(e.getMessage());
            return 1;
        } catch (IOException | RuntimeException e) {
            System.err.print("start failed: " + e);
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.err.print("start interrupted");
            return 1;
        }
    }

    /**
     * Launches {@code serve} detached from us: its stdin carries the runtime options, its stdout
     * carries one readiness line ({@code OK <address>}, {@code BUSY <address>} when another
     * daemon won a race for the same group, or {@code ERR <message>}) and is then closed.
     */
    private String launchDaemon(ShimEndpoint endpoint, byte[] options, Path bundle, DaemonPlacement placement)
            throws IOException, InterruptedException, StartException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Launcher.self());
        addFlag(cmd, "-namespace", flags.namespace());
        addFlag(cmd, "-id", flags.id());
        addFlag(cmd, "-address", flags.address());
        addFlag(cmd, "-publish-binary", flags.publishBinary());
        addFlag(cmd, "-bundle", bundle.toString());
        addFlag(cmd, "-socket", endpoint.path().toString());
        if (flags.debug()) {
            cmd.add("-debug");
        }
        cmd.add("serve");

        // A shared daemon outlives the bundle it was started from: it keeps no directory busy.
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(placement.shared() ? endpoint.path().getParent().toFile() : bundle.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        Process daemon = pb.start();
        try (OutputStream stdin = daemon.getOutputStream()) {
            stdin.write(options);
        }
        // One plain thread for the blocking read: the common fork-join pool would cost start its set-up.
        FutureTask<String> line = new FutureTask<>(() -> readLine(daemon));
        Thread.ofPlatform().name("ready").daemon().start(line);
        String ready;
        try {
            ready = line.get(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            daemon.destroyForcibly();
            throw new StartException("shim daemon did not become ready within " + READY_TIMEOUT_SECONDS + "s");
        } catch (ExecutionException e) {
            daemon.destroyForcibly();
            throw new StartException("shim daemon failed: " + e.getCause());
        }
        if (ready == null) {
            int code = daemon.waitFor(5, TimeUnit.SECONDS) ? daemon.exitValue() : -1;
            throw new StartException("shim daemon exited before serving (exit " + code + "); see containerd's log");
        }
        if (ready.startsWith("OK ") || (ready.startsWith("BUSY ") && !placement.shared())) {
            return ready.substring(ready.indexOf(' ') + 1).trim();
        }
        if (ready.startsWith("BUSY ")) {
            return null; // joined, with a lease, by the caller
        }
        daemon.waitFor(5, TimeUnit.SECONDS);
        throw new StartException(ready.startsWith("ERR ") ? ready.substring(4) : "shim daemon said: " + ready);
    }

    /** Where this task's daemon is (the same answer in {@code start} and in the daemon it launches). */
    static DaemonPlacement placement(ShimFlags flags, Path bundle, dev.hcsshim.proto.runhcs.options.Options options)
            throws IOException {
        return DaemonPlacement.of(flags.id(), TaskGrouping.annotations(bundle.resolve("config.json")), options,
                BuildIdentity.current());
    }

    private static String readLine(Process daemon) {
        try {
            return new BufferedReader(new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8)).readLine();
        } catch (IOException e) {
            return null;
        }
    }

    private static void addFlag(List<String> cmd, String name, String value) {
        if (value != null && !value.isEmpty()) {
            cmd.add(name);
            cmd.add(value);
        }
    }

    /** containerd reads {@code address} after a restart to find the shim again: write it whole or not at all. */
    static void writeAddressFile(Path bundle, String address) throws IOException {
        Path tmp = bundle.resolve(".address.tmp");
        Files.writeString(tmp, address, StandardCharsets.UTF_8);
        Files.move(tmp, bundle.resolve("address"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** A failure whose message is what containerd should show the user. */
    static final class StartException extends Exception {
        StartException(String message) {
            super(message);
        }
    }
}
