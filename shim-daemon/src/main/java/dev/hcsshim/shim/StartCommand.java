package dev.hcsshim.shim;

import dev.hcsshim.nativeimage.ListenerHandoff;
import dev.hcsshim.nativeimage.NativeImage;
import dev.hcsshim.shim.sharing.BuildIdentity;
import dev.hcsshim.shim.sharing.DaemonLeases;
import dev.hcsshim.shim.sharing.DaemonPlacement;
import dev.hcsshim.shim.sharing.TaskGrouping;
import dev.hcsshim.shim.task.IdRules;
import dev.hcsshim.shim.task.RuntimeOptions;
import dev.hcsshim.transport.UnixSockets;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.BindException;
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
    /** Connections the handed-over socket queues while its daemon starts (the kernel caps it at somaxconn). */
    private static final int LISTEN_BACKLOG = 4096;

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
                    address = NativeImage.inExecutable() ? handOffDaemon(endpoint, options, bundle, placement)
                            : launchDaemon(endpoint, options, bundle, placement);
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
     * The native executable's launch: binds the task's socket here, hands it to {@code serve} as
     * an inherited descriptor (its stdin carries the runtime options) and answers at once, without
     * waiting for the daemon: containerd connects and sends Create while the daemon starts, and
     * Create waits in the socket's backlog. A daemon that fails from here on says so in
     * containerd's log and closes the socket, which fails containerd's call (as runc's shim does).
     * For a shared scope the bind decides the race between two starts: the loser joins (null).
     */
    private String handOffDaemon(ShimEndpoint endpoint, byte[] options, Path bundle, DaemonPlacement placement)
            throws IOException, InterruptedException, StartException {
        Path socket = endpoint.path();
        int listening;
        try {
            listening = placement.shared() ? new DaemonLeases(socket).bindExclusively(() -> listen(endpoint)) : listen(endpoint);
        } catch (BindException e) {
            if (!endpoint.isServing()) {
                throw new StartException("cannot serve on " + endpoint.address() + ": " + e.getMessage());
            }
            // A daemon of the same scope listens there: the caller joins it, or (one task's own
            // daemon, started twice) it is already this task's.
            return placement.shared() ? null : Platforms.current().address(socket, flags.namespace(), placement.key());
        }
        try {
            ListenerHandoff.spawn(daemonCommand(endpoint, bundle, ListenerHandoff.DAEMON_FD),
                    daemonDirectory(endpoint, bundle, placement), options, listening);
        } catch (IOException e) {
            Files.deleteIfExists(socket);
            throw new StartException("cannot start the shim daemon: " + e.getMessage());
        } finally {
            ListenerHandoff.closeDescriptor(listening);
        }
        return Platforms.current().address(socket, flags.namespace(), placement.key());
    }

    /** The task's socket, bound with the daemon's access mode and listening. */
    private static int listen(ShimEndpoint endpoint) throws IOException {
        Path socket = endpoint.path();
        // a socket file there (a crashed daemon's, or a live one's) is asked as the endpoint asks
        UnixSockets.prepare(socket, UnixSockets.Access.OWNER_ONLY, path -> endpoint.isServing());
        int fd = ListenerHandoff.listen(socket, LISTEN_BACKLOG);
        try {
            UnixSockets.finish(socket, UnixSockets.Access.OWNER_ONLY);
            return fd;
        } catch (IOException e) {
            ListenerHandoff.closeDescriptor(fd);
            Files.deleteIfExists(socket);
            throw e;
        }
    }

    /**
     * The JVM's launch (its process launcher passes no descriptor beyond stdio, so the daemon
     * binds): {@code serve} detached from us, its stdin carries the runtime options, its stdout
     * carries one readiness line ({@code OK <address>}, {@code BUSY <address>} when another
     * daemon won a race for the same group, or {@code ERR <message>}) and is then closed.
     */
    private String launchDaemon(ShimEndpoint endpoint, byte[] options, Path bundle, DaemonPlacement placement)
            throws IOException, InterruptedException, StartException {
        ProcessBuilder pb = new ProcessBuilder(daemonCommand(endpoint, bundle, ShimFlags.NO_SOCKET_FD))
                .directory(daemonDirectory(endpoint, bundle, placement).toFile())
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

    /** {@code serve} with this task's flags; {@code socketFd}: the listening socket it inherits, if any. */
    private List<String> daemonCommand(ShimEndpoint endpoint, Path bundle, int socketFd) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Launcher.self());
        addFlag(cmd, "-namespace", flags.namespace());
        addFlag(cmd, "-id", flags.id());
        addFlag(cmd, "-address", flags.address());
        addFlag(cmd, "-publish-binary", flags.publishBinary());
        addFlag(cmd, "-bundle", bundle.toString());
        addFlag(cmd, "-socket", endpoint.path().toString());
        if (socketFd != ShimFlags.NO_SOCKET_FD) {
            addFlag(cmd, "-socket-fd", Integer.toString(socketFd));
        }
        if (flags.debug()) {
            cmd.add("-debug");
        }
        cmd.add("serve");
        return cmd;
    }

    /** A shared daemon outlives the bundle it was started from: it keeps no directory busy. */
    private static Path daemonDirectory(ShimEndpoint endpoint, Path bundle, DaemonPlacement placement) {
        return placement.shared() ? endpoint.path().getParent() : bundle;
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
