package dev.hcsshim.shimdiag;

import com.sun.jna.LastErrorException;
import dev.hcsshim.linux.LibC;
import dev.hcsshim.nativeimage.NativeImage;
import dev.hcsshim.proto.runhcs.diag.ExecProcessRequest;
import dev.hcsshim.proto.runhcs.diag.ShimDiagGrpc;
import dev.hcsshim.shim.ShimInfo;
import dev.hcsshim.ttrpc.TtrpcClient;
import io.grpc.Metadata;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * {@code shimdiag exec}: FIFOs in a private temp dir stand for our stdio; the shim opens their
 * other ends and we copy between them and the caller's stdin/stdout/stderr.
 */
final class ExecRelay {
    private static final long DRAIN_MS = 5000;

    private final ShimInfo shim;
    private final String taskId;
    private final List<String> command;
    private final String workdir;
    private final boolean tty;

    ExecRelay(ShimInfo shim, String taskId, List<String> command, String workdir, boolean tty) {
        this.shim = shim;
        this.taskId = taskId;
        this.command = command;
        this.workdir = workdir;
        this.tty = tty;
    }

    int run() throws Exception {
        Path dir = Files.createTempDirectory("shimdiag-"); // 0700: only we (and root's shim) reach the FIFOs
        String savedTty = null;
        try {
            Path in = fifo(dir.resolve("stdin"));
            Path out = fifo(dir.resolve("stdout"));
            Path err = tty ? null : fifo(dir.resolve("stderr"));
            // Once the shim and we both hold every FIFO open, their names are no longer needed:
            // remove them at once, so that nothing is left behind even if we are killed.
            CountDownLatch opened = new CountDownLatch(err == null ? 2 : 3);
            Thread.ofVirtual().name("shimdiag-unlink").start(() -> {
                try {
                    opened.await();
                    deleteTree(dir);
                } catch (InterruptedException | IOException e) {
                    // the finally below tries again
                }
            });
            List<Thread> outputs = new ArrayList<>();
            outputs.add(copier("stdout", () -> new FileInputStream(out.toFile()), () -> new FileOutputStream(FileDescriptor.out), opened));
            if (err != null) {
                outputs.add(copier("stderr", () -> new FileInputStream(err.toFile()), () -> new FileOutputStream(FileDescriptor.err), opened));
            }
            copier("stdin", () -> new FileInputStream(FileDescriptor.in), () -> new FileOutputStream(in.toFile()), opened);

            if (tty && isTerminal()) {
                savedTty = stty("-g").trim();
                stty("raw", "-echo");
                String restore = savedTty;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> stty(restore)));
                NativeImage.runShutdownHooksOnSignals();
            }
            ExecProcessRequest.Builder req = ExecProcessRequest.newBuilder().addAllArgs(command).setWorkdir(workdir)
                    .setTerminal(tty).setStdin(in.toString()).setStdout(out.toString()).setTaskId(taskId);
            if (err != null) {
                req.setStderr(err.toString());
            }
            int code;
            try (TtrpcClient client = TtrpcClient.forAddress(shim.address())) {
                code = client.blockingCall(ShimDiagGrpc.getDiagExecInHostMethod(), req.build(), new Metadata(), null).getExitCode();
            }
            long deadline = System.currentTimeMillis() + DRAIN_MS;
            for (Thread t : outputs) {
                t.join(Math.max(1, deadline - System.currentTimeMillis()));
            }
            return code;
        } finally {
            if (savedTty != null) {
                stty(savedTty);
            }
            deleteTree(dir);
        }
    }

    private static synchronized void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static Path fifo(Path p) throws IOException {
        try {
            LibC.INSTANCE.mkfifo(p.toString(), 0600);
        } catch (LastErrorException e) {
            throw new IOException("mkfifo " + p + ": errno " + e.getErrorCode());
        }
        return p;
    }

    interface Opener<T> {
        T open() throws IOException;
    }

    /** Copies until EOF or a broken pipe, flushing every chunk (a terminal wants each keystroke now). */
    private static Thread copier(String name, Opener<InputStream> src, Opener<OutputStream> dst, CountDownLatch opened) {
        return Thread.ofPlatform().daemon().name("shimdiag-" + name).start(() -> {
            try (InputStream i = src.open(); OutputStream o = dst.open()) {
                opened.countDown();
                byte[] buf = new byte[32 * 1024];
                int n;
                while ((n = i.read(buf)) > 0) {
                    o.write(buf, 0, n);
                    o.flush();
                }
            } catch (IOException ignored) {
                // the other side went away: nothing left to copy
            }
        });
    }

    private static boolean isTerminal() {
        var c = System.console();
        return c != null && c.isTerminal();
    }

    /** Runs stty on our own terminal (its stdin is ours) and returns what it printed. */
    private static String stty(String... args) {
        List<String> cmd = new ArrayList<>(List.of("stty"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return out;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
