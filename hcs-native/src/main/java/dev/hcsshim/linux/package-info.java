/**
 * The Linux compute backend: an OCI runtime CLI (runc, or crun by name) driven from Java, plus
 * the libc pieces a shim needs (JNA, {@link dev.hcsshim.linux.LibC}).
 *
 * <h2>Start-up</h2>
 * Call {@link dev.hcsshim.linux.ExitWatcher#shared()} before the first container: it makes the
 * process a child subreaper (container processes are re-parented to us when runc exits) and
 * starts the exit/orphan thread. From then on <b>every</b> {@link java.lang.ProcessBuilder} in
 * the JVM should be started through {@link dev.hcsshim.linux.ExitWatcher#spawn}, or the orphan
 * sweeper may reap it before the JVM reads its exit value. {@link dev.hcsshim.linux.OciRuntime}
 * does this for runc.
 *
 * <h2>One container</h2>
 * <pre>{@code
 * OciRuntime rt = OciRuntime.forNamespace("runc", ns, ExitWatcher.shared());
 * LinuxContainer c = LinuxContainer.create(rt, id, bundle, rootfsMounts, IoSpec.PIPES); // runc create
 * LinuxProcess init = c.init();             // pid, exitStatus(), stdinFd/stdoutFd/stderrFd or ptyMasterFd
 * SpliceRelay out = SpliceRelay.start(id + "-out", init.stdoutFd(), upstreamStdoutFd);
 * c.start();                                // runc start
 * ExitStatus st = init.exitStatus().get();  // 128+signal when killed
 * out.awaitOrCancel(copyAfterExitTimeout);  // then publish TaskExit
 * c.close();                                // runc delete --force + unmount rootfs
 * }</pre>
 *
 * <h2>Stdio ownership</h2>
 * {@link dev.hcsshim.linux.StdioPipes}: one pipe per stream; the container ends are handed to
 * runc and closed here right after runc create/exec returned (so EOF works); the shim ends are
 * owned by the {@link dev.hcsshim.linux.LinuxProcess} and closed by its {@code close()}. Relays
 * never close fds: the owner of each fd closes it once the relay's {@code done()} completed.
 */
package dev.hcsshim.linux;
