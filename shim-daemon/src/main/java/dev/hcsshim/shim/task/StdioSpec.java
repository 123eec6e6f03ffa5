package dev.hcsshim.shim.task;

/**
 * The upstream stdio containerd asked for: FIFO paths, or {@code binary://} / {@code file://}
 * log URIs, any of them empty for "none". A terminal merges stderr into stdout.
 */
public record StdioSpec(String stdin, String stdout, String stderr, boolean terminal) {
    public StdioSpec {
        stdin = stdin == null ? "" : stdin;
        stdout = stdout == null ? "" : stdout;
        stderr = stderr == null ? "" : stderr;
    }
}
