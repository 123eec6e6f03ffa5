package dev.hcsshim.shim;

import dev.hcsshim.nativeimage.NativeImage;
import dev.hcsshim.proto.runhcs.options.Options;
import dev.hcsshim.shim.diag.DiagService;
import dev.hcsshim.shim.events.EventPublisher;
import dev.hcsshim.shim.platform.Platform;
import dev.hcsshim.shim.sharing.DaemonLeases;
import dev.hcsshim.shim.sharing.DaemonLifetime;
import dev.hcsshim.shim.sharing.DaemonPlacement;
import dev.hcsshim.shim.sharing.DaemonLog;
import dev.hcsshim.shim.sharing.LifetimeEvents;
import dev.hcsshim.shim.task.RuntimeOptions;
import dev.hcsshim.shim.task.TaskBackend;
import dev.hcsshim.shim.task.TaskService;
import dev.hcsshim.transport.GrpcEndpoint;
import dev.hcsshim.transport.NettyDefaults;
import dev.hcsshim.transport.PipeAddress;
import dev.hcsshim.transport.TtrpcEndpoint;
import dev.hcsshim.transport.UnixSockets;
import dev.hcsshim.ttrpc.Namespaces;
import dev.hcsshim.ttrpc.ServiceAlias;
import dev.hcsshim.ttrpc.StatusMapper;
import dev.hcsshim.ttrpc.TtrpcServer;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code serve}: the shim daemon. Detaches from containerd as its platform does it (on Linux: own
 * session, stdio let go, child subreaper of the containers it runs), serves the task and diag
 * services over ttrpc (containerd 1.x) and gRPC (gRPC clients, containerd 2.x as task.v3) on
 * root-only unix sockets, published where containerd dials (on Windows a protected named pipe),
 * and exits when Shutdown arrives with no task left or on SIGTERM.
 */
final class ServeCommand {
    private static Logger log;

    private final ShimFlags flags;
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicBoolean stopping = new AtomicBoolean();
    /** Orders startSecondary before stop's teardown, or keeps it from starting at all. */
    private final Object secondaryLock = new Object();
    // volatile: a signal's shutdown hook may stop the daemon while main still brings it up
    private volatile TtrpcEndpoint ttrpc;
    private volatile GrpcEndpoint grpc;
    private volatile EventPublisher events;
    /** One epoll I/O thread for the ttrpc server, the event client and the gRPC endpoint (Linux; else null). */
    private volatile EventLoopGroup ioLoop;
    private ShimEndpoint endpoint;
    private List<ServerServiceDefinition> services;
    private ExecutorService executor;
    private final Platform platform;
    private volatile Platform.Endpoint published;
    private TaskService tasks;
    private DaemonPlacement placement;
    /** Set once this daemon gave its paths up: what is there now may be a successor's. */
    private volatile boolean unlinked;

    ServeCommand(ShimFlags flags) {
        this(flags, Platforms.current());
    }

    ServeCommand(ShimFlags flags, Platform platform) {
        this.flags = flags;
        this.platform = platform;
    }

    int run(IoStart io) throws Exception {
        StartupPhases phases = new StartupPhases();
        PrintStream ready = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        // First: the socket may be containerd's already (start handed it over and answered), and a
        // SIGTERM at any point from here must still remove it and whatever else is up by then.
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "shutdown"));
        NativeImage.runShutdownHooksOnSignals();
        Options options;
        try {
            options = RuntimeOptions.parseIfGiven(System.in.readAllBytes());
        } catch (IllegalArgumentException e) {
            ready.println("ERR " + e.getMessage());
            giveUpHandedOverSocket();
            return 1;
        }
        String level = flags.debug() ? "debug" : options == null || options.getLogLevel().isEmpty() ? "info" : options.getLogLevel();
        System.setProperty("hcsshim.log.level", level);
        platform.detach(flags.bundleDir(), flags.namespace(), flags.id());
        log = LoggerFactory.getLogger(ServeCommand.class);
        phases.mark("options+detach+logging");

        try {
            start(options, io, phases);
        } catch (IOException | RuntimeException e) {
            if (flags.socketHandedOver()) {
                // start has answered already: containerd learns of it when the socket closes
                log.error("cannot serve on {}", flags.socket(), e);
                giveUpHandedOverSocket();
                return 1;
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("already in use") && endpoint.isServing()) {
                // Another daemon of the same group won the race to bind: its address serves us too.
                ready.println("BUSY " + platform.address(endpoint.path(), flags.namespace(), flags.id()));
                return 0;
            }
            log.error("cannot serve on {}", endpoint.address(), e);
            ready.println("ERR cannot serve on " + endpoint.address() + ": " + msg);
            return 1;
        }
        log.info("serving {} for namespace {} on {} ({} platform, pid {})", ShimFlags.RUNTIME, flags.namespace(),
                published.address(), platform.name(), ProcessHandle.current().pid());
        if (!flags.socketHandedOver()) { // else start has answered already, and our stdout is /dev/null
            ready.println("OK " + published.address());
            platform.releaseStdout();
        }
        phases.mark("ready");
        platform.serving();
        log.debug("start-up: {}; on the I/O thread: {}", phases, io.phases);
        try {
            startSecondary();
        } catch (IOException e) {
            log.error("gRPC endpoint not available: {}", e.toString());
        }
        done.await();
        return 0;
    }

    /**
     * Netty's epoll transport and the daemon's one I/O thread (none where epoll is missing), brought
     * up on a thread of their own: one of the two longest steps of a daemon's start-up (its JNI
     * library and run-time classes; the rest of Netty is initialised in the image), and one that
     * needs neither flags, session nor options, so it runs on the other core from the first line
     * of main while the main thread detaches (JNA) and does the rest.
     */
    static final class IoStart {
        private final FutureTask<EventLoopGroup> loop = new FutureTask<>(this::newLoop);
        private final StartupPhases phases = new StartupPhases();

        static IoStart begin() {
            IoStart io = new IoStart();
            Thread.ofPlatform().name("io-setup").daemon().start(() -> {
                io.loop.run();
                io.warmListener();
            });
            return io;
        }

        /**
         * What serving on the listening socket first needs, done while main builds the services
         * (this core is idle by then): the loop's thread started and the epoll server channel's
         * classes initialised (Netty's epoll transport is initialised at run time). Nothing that
         * logs: main sets the log level up.
         */
        private void warmListener() {
            if (loop.state() != java.util.concurrent.Future.State.SUCCESS || loop.resultNow() == null) {
                return;
            }
            loop.resultNow().execute(() -> { });
            try {
                Class.forName("io.netty.channel.epoll.EpollServerDomainSocketChannel");
            } catch (ClassNotFoundException | LinkageError e) {
                // main meets it again when it serves, and reports it then
            }
        }

        private EventLoopGroup newLoop() {
            boolean epoll = Epoll.isAvailable();
            phases.mark("epoll");
            EventLoopGroup group = epoll
                    ? new MultiThreadIoEventLoopGroup(1, Thread.ofPlatform().name("shim-io").daemon().factory(), EpollIoHandler.newFactory())
                    : null;
            phases.mark("event loop");
            return group;
        }

        EventLoopGroup await() throws InterruptedException {
            try {
                return loop.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
        }
    }

    /** Serves the task and diag services on this daemon's endpoints. */
    private void start(Options options, IoStart io, StartupPhases phases) throws IOException, InterruptedException {
        placement = placement(options);
        endpoint = flags.socket().isEmpty() ? ShimEndpoint.forShim(flags.address(), flags.namespace(), placement.key())
                : ShimEndpoint.at(flags.socket());
        phases.mark("placement");
        TaskBackend backend = platform.taskBackend();
        phases.mark("backend");
        ioLoop = io.await();
        phases.mark("waiting for epoll");
        String ttrpcAddress = System.getenv("TTRPC_ADDRESS");
        if (ttrpcAddress == null || ttrpcAddress.isEmpty()) {
            ttrpcAddress = flags.address() + ".ttrpc";
        }
        events = new EventPublisher(flags.namespace(), Path.of(ttrpcAddress.replaceFirst("^unix://", "")), ioLoop);
        NettyDefaults.deviations().forEach(d -> log.warn("Netty {}", d));
        DaemonLifetime lifetime = lifetime(placement);
        TaskService tasks = new TaskService(flags.namespace(), backend, new LifetimeEvents(events, lifetime,
                new DaemonLog(flags.id(), (id, bundle) -> platform.logInto(bundle, flags.namespace(), id))), options, lifetime::idle);
        this.tasks = tasks;
        List<ServerServiceDefinition> services = services(tasks, new DiagService(tasks, flags.id(), flags.bundleDir(), platform.diagHost(backend)));
        phases.mark("services");

        // Handlers block on runtime commands; virtual threads keep that cheap. Named: for an
        // unnamed thread Logback finds a name through reflection on every line it logs (~1 ms,
        // interpreted, on the first Create's path).
        ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("task-call-", 0).factory());
        TtrpcServer.Builder server = TtrpcServer.builder().executor(executor).ioLoop(ioLoop)
                .onIoThread(TaskService::answersWithoutBlocking)
                .intercept(StatusMapper.interceptor())
                .intercept(Namespaces.interceptor());
        services.forEach(server::addService);
        TtrpcServer built = server.build();
        phases.mark("ttrpc server");
        PipeAddress.UnixSocket socket = new PipeAddress.UnixSocket(endpoint.path());
        if (flags.socketHandedOver()) {
            ttrpc = TtrpcEndpoint.adopt(built, socket, flags.socketFd()); // bound, with its mode, by start
        } else {
            ttrpc = placement.shared()
                    ? new DaemonLeases(endpoint.path()).bindExclusively(() -> TtrpcEndpoint.listen(built, socket, UnixSockets.Access.OWNER_ONLY))
                    : TtrpcEndpoint.listen(built, socket, UnixSockets.Access.OWNER_ONLY);
        }
        phases.mark("listen");
        try {
            published = platform.publish(endpoint.path(), flags.namespace(), placement.key());
        } catch (IOException | RuntimeException e) {
            ttrpc.shutdown(Duration.ZERO);
            throw e;
        }
        this.services = services;
        this.executor = executor;
    }

    /**
     * The gRPC endpoint and shimdiag's info file. containerd 1.x only needs ttrpc, so these come
     * up after the readiness line: containerd's start is not kept waiting for them.
     */
    void startSecondary() throws IOException {
        synchronized (secondaryLock) {
            if (!stopping.get()) {
                startSecondaryEndpoints();
            }
        }
    }

    private void startSecondaryEndpoints() throws IOException {
        GrpcEndpoint.Builder g = GrpcEndpoint.builder(new PipeAddress.UnixSocket(endpoint.grpcPath()))
                .executor(executor)
                .ioLoop(ioLoop)
                .access(UnixSockets.Access.OWNER_ONLY)
                .intercept(StatusMapper.interceptor())
                .intercept(Namespaces.interceptor());
        services.forEach(g::addService);
        grpc = g.start();
        ShimInfo.write(endpoint, flags.namespace(), flags.id(), placement.shared());
    }

    /**
     * A daemon that cannot serve the socket its start bound removes it: nobody will accept there,
     * and the next start would find a stale file. (The descriptor closes with the process.)
     */
    private void giveUpHandedOverSocket() {
        if (!flags.socketHandedOver()) {
            return;
        }
        try {
            Files.deleteIfExists(ShimEndpoint.at(flags.socket()).path());
        } catch (IOException e) {
            // the next start replaces a stale socket anyway
        }
    }

    /** Which tasks this daemon serves: the same answer its {@code start} found. */
    private DaemonPlacement placement(Options options) {
        try {
            return StartCommand.placement(flags, flags.bundleDir(), options);
        } catch (IOException | RuntimeException e) {
            log.warn("cannot tell this daemon's placement ({}): serving as a daemon of one task", e.getMessage());
            return new DaemonPlacement(flags.id(), false, Duration.ZERO);
        }
    }

    /** When this daemon leaves: at once after its last task, or as its placement's options say. */
    private DaemonLifetime lifetime(DaemonPlacement placement) {
        return new DaemonLifetime(placement.shared() ? new DaemonLeases(endpoint.path()) : null, placement.idleExit(),
                () -> tasks.tasks().size(), this::unlinkSockets, () -> {
                    stop();
                    System.exit(0);
                });
    }

    /** New connections fail from here on; a successor daemon may bind the same paths. */
    private void unlinkSockets() {
        unlinked = true;
        for (Path p : List.of(endpoint.path(), endpoint.grpcPath(), endpoint.infoPath())) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                log.warn("removing {}: {}", p, e.toString());
            }
        }
    }

    /** The task service under containerd.task.v2 and, for containerd 2.x, task.v3 (same handlers); the diag service. */
    private static List<ServerServiceDefinition> services(BindableService tasks, BindableService diag) {
        ServerServiceDefinition v2 = tasks.bindService();
        return List.of(v2, ServiceAlias.rename(v2, "containerd.task.v3.Task"), diag.bindService());
    }

    /** Stops serving (in-flight calls get a moment), delivers queued events, removes our sockets. */
    void stop() {
        if (!stopping.compareAndSet(false, true)) {
            return;
        }
        synchronized (secondaryLock) {
            // waits for a startSecondary under way: what it brings up is torn down below
        }
        try {
            if (published != null) {
                try {
                    published.close();
                } catch (IOException | RuntimeException e) {
                    log.warn("closing {}: {}", published.address(), e.toString());
                }
            }
            if (ttrpc != null) {
                ttrpc.shutdown(Duration.ofSeconds(2));
            }
            if (grpc != null) {
                grpc.shutdown(Duration.ofSeconds(2));
            }
            if (events != null) {
                events.flushAndClose(Duration.ofSeconds(3));
            }
            if (ioLoop != null) {
                ioLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            }
            if (ttrpc == null) {
                // Stopped before it served: its paths may be a daemon's that won the race to bind
                // (start reads BUSY), but for the socket its start bound for it.
                giveUpHandedOverSocket();
            } else if (endpoint != null && !unlinked) {
                // The endpoints removed their own sockets; the info file is ours.
                Files.deleteIfExists(endpoint.infoPath());
            }
        } catch (IOException | RuntimeException e) {
            if (log != null) {
                log.warn("shutdown: {}", e.toString());
            }
        } finally {
            done.countDown();
        }
    }
}
