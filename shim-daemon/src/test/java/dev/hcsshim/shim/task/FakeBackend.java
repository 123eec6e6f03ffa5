package dev.hcsshim.shim.task;

import com.google.protobuf.Any;
import dev.hcsshim.process.ExitStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An in-memory {@link TaskBackend} for the task service's unit tests: processes exit when a test
 * says so, every call is recorded ("create t1", "exec t1/e1", "signal t1/e1 9"...), and a call can
 * be held inside the "runtime" until the test releases it ({@link #gate}).
 */
final class FakeBackend implements TaskBackend {
    /** Every runtime call, in order. */
    final List<String> calls = new CopyOnWriteArrayList<>();
    final Map<String, FakeTask> tasks = new ConcurrentHashMap<>();
    private final Map<String, Gate> gates = new ConcurrentHashMap<>();
    private int nextPid = 100;

    /** A call that blocks inside the backend until released; {@link #entered} tells it is there. */
    static final class Gate {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        /** Runs inside the call, after entering, before it returns (e.g. an exit during start). */
        volatile Runnable during = () -> {};

        void awaitEntered() throws InterruptedException {
            if (!entered.await(20, TimeUnit.SECONDS)) {
                throw new AssertionError("the call never reached the backend");
            }
        }

        void open() {
            release.countDown();
        }
    }

    /** The next call named {@code call} (as recorded, e.g. "start t1") blocks until the gate opens. */
    Gate gate(String call) {
        Gate g = new Gate();
        gates.put(call, g);
        return g;
    }

    private void record(String call) throws IOException {
        calls.add(call);
        Gate g = gates.remove(call);
        if (g != null) {
            g.entered.countDown();
            try {
                if (!g.release.await(20, TimeUnit.SECONDS)) {
                    throw new IOException("gate for " + call + " never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            g.during.run();
        }
    }

    private synchronized int pid() {
        return nextPid++;
    }

    @Override
    public String resourcesType() {
        return TypeUrls.LINUX_RESOURCES;
    }

    @Override
    public Task create(CreateSpec spec) throws IOException {
        record("create " + spec.id());
        FakeTask t = new FakeTask(spec, new FakeProcess(spec.id(), pid(), spec.stdio()));
        tasks.put(spec.id(), t);
        return t;
    }

    @Override
    public void cleanupAfterCrash(String namespace, String id, Path bundle) {
        calls.add("cleanup " + id);
    }

    final class FakeTask implements TaskBackend.Task {
        final CreateSpec spec;
        final FakeProcess init;
        final Map<String, FakeProcess> execs = new ConcurrentHashMap<>();
        final List<String> updates = new ArrayList<>();

        FakeTask(CreateSpec spec, FakeProcess init) {
            this.spec = spec;
            this.init = init;
        }

        @Override
        public Process init() {
            return init;
        }

        @Override
        public void watchOom(Runnable onOom) {}

        @Override
        public void start() throws IOException {
            record("start " + spec.id());
        }

        @Override
        public Process exec(String execId, StdioSpec stdio, byte[] processSpecJson) throws IOException {
            record("exec " + spec.id() + "/" + execId);
            FakeProcess p = new FakeProcess(spec.id() + "/" + execId, pid(), stdio);
            execs.put(execId, p);
            return p;
        }

        @Override
        public void kill(int signal, boolean all) throws IOException {
            record("kill " + spec.id() + " " + signal + (all ? " all" : ""));
            if (signal == 9) {
                init.exit(137);
            }
        }

        @Override
        public void pause() throws IOException {
            record("pause " + spec.id());
        }

        @Override
        public void resume() throws IOException {
            record("resume " + spec.id());
        }

        @Override
        public void update(byte[] resourcesJson) throws IOException {
            record("update " + spec.id());
        }

        @Override
        public Any execDetails(String execId, int pid) {
            return Any.getDefaultInstance();
        }

        @Override
        public List<Integer> pids() {
            return List.of(init.pid);
        }

        @Override
        public Any stats() throws IOException {
            record("stats " + spec.id());
            return Any.getDefaultInstance();
        }

        @Override
        public void checkpoint(Path imagePath, Any options) throws IOException {
            record("checkpoint " + spec.id());
        }

        @Override
        public void delete() throws IOException {
            record("delete " + spec.id());
        }
    }

    final class FakeProcess implements TaskBackend.Process {
        final String name;
        final int pid;
        final StdioSpec stdio;
        final CompletableFuture<ExitStatus> exited = new CompletableFuture<>();
        volatile boolean closed;

        FakeProcess(String name, int pid, StdioSpec stdio) {
            this.name = name;
            this.pid = pid;
            this.stdio = stdio;
        }

        /** The process ends with {@code status}, as the exit watcher would report it. */
        void exit(int status) {
            exited.complete(ExitStatus.exited(status, Instant.now()));
        }

        @Override
        public int pid() {
            return pid;
        }

        @Override
        public CompletionStage<ExitStatus> exited() {
            return exited;
        }

        @Override
        public void signal(int signal) throws IOException {
            record("signal " + name + " " + signal);
            if (exited.isDone()) {
                throw Errdefs.notFound("%s: process already finished", name);
            }
            if (signal == 9) {
                exited.complete(ExitStatus.killed(9, false, Instant.now()));
            }
        }

        @Override
        public void closeStdin() {}

        @Override
        public void resize(int width, int height) {}

        @Override
        public void close() {
            closed = true;
        }
    }
}
