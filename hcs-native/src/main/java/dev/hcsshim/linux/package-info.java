/**
 * The Linux OS bindings the shim drives: an OCI runtime CLI (runc, or crun by name) and the libc
 * pieces a shim needs (JNA, {@link dev.hcsshim.linux.LibC}). The shim daemon assembles them in
 * {@code dev.hcsshim.shim.linux.OciTaskBackend} (one task = one OCI container) and owns each
 * process's stdio in {@code dev.hcsshim.shim.stdio.ProcessStdio}.
 *
 * <h2>Start-up</h2>
 * Call {@link dev.hcsshim.linux.ExitWatcher#shared()} before the first container: it makes the
 * process a child subreaper (container processes are re-parented to us when runc exits) and
 * starts the exit/orphan thread. From then on <b>every</b> child must be known to it before the
 * orphan sweeper runs: a {@link java.lang.ProcessBuilder} started through
 * {@link dev.hcsshim.linux.ExitWatcher#spawn}, or a {@link dev.hcsshim.linux.Spawn} started inside
 * {@link dev.hcsshim.linux.ExitWatcher#guard()} and then watched. {@link dev.hcsshim.linux.OciRuntime}
 * runs runc the second way: posix_spawn shares the daemon's memory until runc execs, where a
 * native image's ProcessBuilder forks it.
 *
 * <h2>Pieces</h2>
 * <ul>
 * <li>{@link dev.hcsshim.linux.OciRuntime}: runc create/start/exec/kill/... with the exit of the
 *     process it started ({@link dev.hcsshim.linux.ExitStatus}, 128+signal when killed);</li>
 * <li>{@link dev.hcsshim.linux.StdioPipes}: one pipe per stream, the container ends for the
 *     runtime, the shim ends for the relays; {@link dev.hcsshim.linux.ConsoleSocket} receives a
 *     terminal's pty master from the runtime;</li>
 * <li>{@link dev.hcsshim.linux.SpliceRelay}: a zero-copy fd-to-fd copy, a
 *     {@link dev.hcsshim.stdio.CopyAfterExit.Copy} so the copy-after-exit rule can stop it;
 *     relays never close fds, their owner does; every relay of the process runs on one epoll
 *     thread ({@code RelayLoop}), so a daemon's threads do not grow with its tasks;</li>
 * <li>{@link dev.hcsshim.linux.RootfsMounts}, {@link dev.hcsshim.linux.OomWatcher},
 *     {@link dev.hcsshim.linux.OciStats}.</li>
 * </ul>
 */
package dev.hcsshim.linux;
