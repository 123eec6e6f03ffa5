package dev.hcsshim.hcsoci;

import dev.hcsshim.cow.Process;
import dev.hcsshim.cow.ProcessHost;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/** A process host in memory: each process runs a script on a thread of its own. */
final class FakeHost implements ProcessHost {
    final String os;
    final boolean oci;
    final List<Map<String, Object>> configs = new ArrayList<>();
    final List<FakeProcess> processes = new ArrayList<>();
    Consumer<FakeProcess> script = p -> p.exit(0);

    FakeHost(String os, boolean oci) {
        this.os = os;
        this.oci = oci;
    }

    @Override
    @SuppressWarnings("unchecked")
    public synchronized Process createProcess(Object config) {
        Map<String, Object> c = (Map<String, Object>) config;
        configs.add(c);
        FakeProcess p = new FakeProcess(Boolean.TRUE.equals(c.get("CreateStdInPipe")),
                Boolean.TRUE.equals(c.get("CreateStdOutPipe")), Boolean.TRUE.equals(c.get("CreateStdErrPipe")));
        processes.add(p);
        Consumer<FakeProcess> s = script;
        Thread.ofPlatform().daemon().start(() -> s.accept(p));
        return p;
    }

    @Override
    public String os() {
        return os;
    }

    @Override
    public boolean isOci() {
        return oci;
    }

    static void q(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static final class FakeProcess implements Process {
        final MemPipe in;
        final MemPipe out;
        final MemPipe err;
        final CompletableFuture<Integer> exit = new CompletableFuture<>();
        volatile boolean killed;
        volatile boolean closed;
        volatile boolean stdinClosed;

        FakeProcess(boolean i, boolean o, boolean e) {
            in = i ? new MemPipe() : null;
            out = o ? new MemPipe() : null;
            err = e ? new MemPipe() : null;
        }

        void print(String s) {
            try {
                out.out.write(s.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }

        void printErr(String s) {
            try {
                err.out.write(s.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }

        /** Exits and closes its ends of stdout/stderr. */
        void exit(int code) {
            if (out != null) q(out.out);
            if (err != null) q(err.out);
            exit.complete(code);
        }

        /** Exits but leaves stdout open, as HCS sometimes does. */
        void exitKeepingStdout(int code) {
            exit.complete(code);
        }

        String readAllStdin() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.in.transferTo(b);
            return b.toString(StandardCharsets.UTF_8);
        }

        @Override
        public void close() {
            closed = true;
            if (out != null) q(out.in);
            if (err != null) q(err.in);
            if (in != null) q(in.out);
        }

        @Override
        public void closeStdin() {
            stdinClosed = true;
            if (in != null) q(in.out);
        }

        @Override
        public void closeStdout() {
            if (out != null) q(out.in);
        }

        @Override
        public void closeStderr() {
            if (err != null) q(err.in);
        }

        @Override
        public int pid() {
            return 42;
        }

        @Override
        public OutputStream stdin() {
            return in == null ? null : in.out;
        }

        @Override
        public InputStream stdout() {
            return out == null ? null : out.in;
        }

        @Override
        public InputStream stderr() {
            return err == null ? null : err.in;
        }

        @Override
        public void resizeConsole(int width, int height) {}

        @Override
        public boolean kill() {
            killed = true;
            exit(137);
            return true;
        }

        @Override
        public boolean signal(Object options) {
            return kill();
        }

        @Override
        public void waitFor() throws IOException, InterruptedException {
            try {
                exit.get();
            } catch (ExecutionException e) {
                throw new IOException(e.getCause());
            }
        }

        @Override
        public CompletionStage<Void> exited() {
            return exit.thenApply(c -> null);
        }

        @Override
        public int exitCode() throws IOException {
            if (!exit.isDone()) throw new IOException("not exited");
            return exit.join();
        }
    }
}
