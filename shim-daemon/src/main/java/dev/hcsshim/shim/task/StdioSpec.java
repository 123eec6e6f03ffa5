package dev.hcsshim.shim.task;

/**
 * The upstream stdio containerd asked for: FIFO paths, or {@code binary://} / {@code file://}
 * log URIs, any of them empty for "none". A terminal merges stderr into stdout: a stderr path
 * given with it (containerd's CRI always names one) is accepted and left unused, as by runc's shim.
 */
public record StdioSpec(String stdin, String stdout, String stderr, boolean terminal) {
    public StdioSpec {
        stdin = stdin == null ? "" : stdin;
        stdout = stdout == null ? "" : stdout;
        stderr = stderr == null ? "" : stderr;
    }
}
