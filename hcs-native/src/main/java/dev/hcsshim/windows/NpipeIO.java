package dev.hcsshim.windows;

import dev.hcsshim.hcsoci.UpstreamIO;
import dev.hcsshim.transport.PipeConnection;
import dev.hcsshim.transport.PipeDialer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Upstream stdio over the named pipes containerd created (hcsoci.NewNpipeIO). A connection
 * factory is injectable so the contract is testable without Windows.
 */
public final class NpipeIO implements UpstreamIO {
    private final String stdinPath;
    private final String stdoutPath;
    private final String stderrPath;
    private final boolean terminal;
    private PipeConnection stdin;
    private PipeConnection stdout;
    private PipeConnection stderr;

    private NpipeIO(String stdin, String stdout, String stderr, boolean terminal) {
        this.stdinPath = stdin == null ? "" : stdin;
        this.stdoutPath = stdout == null ? "" : stdout;
        this.stderrPath = stderr == null ? "" : stderr;
        this.terminal = terminal;
    }

    /** Connects every non-empty path; on any failure closes what was opened. */
    public static NpipeIO open(PipeDialer dialer, String stdin, String stdout, String stderr, boolean terminal)
            throws IOException {
        NpipeIO io = new NpipeIO(stdin, stdout, terminal ? "" : stderr, terminal);
        try {
            if (!io.stdinPath.isEmpty()) io.stdin = dialer.dial(io.stdinPath);
            if (!io.stdoutPath.isEmpty()) io.stdout = dialer.dial(io.stdoutPath);
            if (!io.stderrPath.isEmpty()) io.stderr = dialer.dial(io.stderrPath);
        } catch (IOException | RuntimeException e) {
            io.close();
            throw e;
        }
        return io;
    }

    /** NewNpipeIO on Windows. */
    public static NpipeIO open(String stdin, String stdout, String stderr, boolean terminal) throws IOException {
        return open(NamedPipes.DIALER, stdin, stdout, stderr, terminal);
    }

    private static void quiet(AutoCloseable c) {
        try {
            if (c != null) c.close();
        } catch (Exception ignored) {
            // closing upstream pipes is best effort
        }
    }

    @Override
    public synchronized void close() {
        closeStdin();
        quiet(stdout);
        stdout = null;
        quiet(stderr);
        stderr = null;
    }

    @Override
    public synchronized void closeStdin() {
        quiet(stdin);
        stdin = null;
    }

    @Override
    public synchronized InputStream stdin() {
        return stdin == null ? null : stdin.input();
    }

    @Override
    public String stdinPath() {
        return stdinPath;
    }

    @Override
    public synchronized OutputStream stdout() {
        return stdout == null ? null : stdout.output();
    }

    @Override
    public String stdoutPath() {
        return stdoutPath;
    }

    @Override
    public synchronized OutputStream stderr() {
        return terminal || stderr == null ? null : stderr.output();
    }

    @Override
    public String stderrPath() {
        return terminal ? "" : stderrPath;
    }

    @Override
    public boolean terminal() {
        return terminal;
    }
}
