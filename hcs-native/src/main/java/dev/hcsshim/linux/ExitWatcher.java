package dev.hcsshim.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import dev.hcsshim.process.ExitStatus;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Observes process exits for the shim, which is made a child subreaper so that container
 * processes (orphaned when runc exits) are re-parented to us.
 *
 * <p>One daemon thread polls every watched pidfd plus a wakeup eventfd; a readable pidfd is
 * reaped with {@code waitid(P_PIDFD)}. Only pids explicitly watched, or orphans nobody owns, are
 * reaped: children the JVM started through {@link ProcessBuilder} are left to the JVM's own
 * reaper, provided they were started through {@link #spawn} (or registered with
 * {@link #ownedByJvm}). The orphan sweeper runs after every exit and every
 * {@value #SWEEP_INTERVAL_MS} ms.
 *
 * <p>Race rule: a pid that will be watched must not be swept before {@link #watch} is called.
 * Code that learns such a pid (runc create/exec) runs inside {@link #guard()}, which holds the
 * sweeper off; {@link OciRuntime} does this itself.
 *
 * <p>There should be one instance per JVM ({@link #shared()}): two sweepers would reap each
 * other's pids.
 */
public final class ExitWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ExitWatcher.class);
    private static final LibC C = LibC.INSTANCE;
    static final int SWEEP_INTERVAL_MS = 2000;
    private static volatile ExitWatcher shared;

    private final int wakeFd;
    private final Thread thread;
    /** pidfd to watched process; only touched by the watcher thread after registration. */
    private final Map<Integer, Watched> pending = new ConcurrentHashMap<>();
    private final Map<Integer, Watched> byPidfd = new HashMap<>();
    private final Set<Integer> watchedPids = ConcurrentHashMap.newKeySet();
    private final Set<Integer> jvmOwned = ConcurrentHashMap.newKeySet();
    private final ReentrantReadWriteLock sweepLock = new ReentrantReadWriteLock();
    private final Memory siginfo = new Memory(LibC.SIGINFO_SIZE);
    private volatile boolean closed;
    private volatile long orphansReaped;

    private final Map<Integer, Watched> byPid = new ConcurrentHashMap<>();

    /** A watched process; its pidfd is closed (under the object's lock) once reaped. */
    private static final class Watched {
        final int pid;
        final int pidfd;
        final CompletableFuture<ExitStatus> future;
        boolean reaped;

        Watched(int pid, int pidfd, CompletableFuture<ExitStatus> future) {
            this.pid = pid;
            this.pidfd = pidfd;
            this.future = future;
        }
    }

    /** The JVM-wide watcher, started (and the subreaper flag set) on first use. */
    public static ExitWatcher shared() {
        ExitWatcher w = shared;
        if (w == null) {
            synchronized (ExitWatcher.class) {
                w = shared;
                if (w == null) {
                    try {
                        shared = w = new ExitWatcher();
                    } catch (IOException e) {
                        throw new IllegalStateException("cannot start the exit watcher", e);
                    }
                }
            }
        }
        return w;
    }

    /** Makes this process a child subreaper and starts the watcher thread. */
    public ExitWatcher() throws IOException {
        try {
            C.prctl(LibC.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        } catch (LastErrorException e) {
            throw Fds.io("prctl(PR_SET_CHILD_SUBREAPER)", e);
        }
        wakeFd = Fds.eventfd();
        thread = Thread.ofPlatform().daemon().name("exit-watcher").stackSize(256 * 1024)
                .unstarted(this::loop);
        thread.start();
    }

    /**
     * Watches a child (or re-parented descendant) of this process. The future completes once the
     * process has exited and was reaped, also when it had already exited (a zombie) at the time
     * of the call. Fails with an IOException when the pid does not exist or is not our child.
     * Watching the same pid twice is not supported. The future is completed on a virtual
     * thread, never on the watcher thread, so dependent actions may block.
     */
    public CompletableFuture<ExitStatus> watch(int pid) {
        CompletableFuture<ExitStatus> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(new IOException("exit watcher closed"));
            return f;
        }
        int pidfd;
        try {
            pidfd = (int) C.syscall(LibC.SYS_PIDFD_OPEN, pid, 0);
        } catch (LastErrorException e) {
            f.completeExceptionally(Fds.io("pidfd_open(" + pid + ")", e));
            return f;
        }
        watchedPids.add(pid);
        Watched w = new Watched(pid, pidfd, f);
        byPid.put(pid, w);
        pending.put(pidfd, w);
        Fds.signalEventfd(wakeFd);
        return f;
    }

    /**
     * Sends a signal to a watched process through its pidfd, so a recycled pid can never be hit.
     * Returns false when the process is not watched or already reaped (it has exited).
     */
    public boolean signal(int pid, int sig) throws IOException {
        Watched w = byPid.get(pid);
        if (w == null) return false;
        synchronized (w) {
            if (w.reaped) return false;
            try {
                C.syscall(LibC.SYS_PIDFD_SEND_SIGNAL, w.pidfd, sig, null, 0);
                return true;
            } catch (LastErrorException e) {
                if (e.getErrorCode() == LibC.ESRCH) return false; // exited, not yet reaped
                throw Fds.io("pidfd_send_signal(" + pid + ", " + sig + ")", e);
            }
        }
    }

    /**
     * Holds the orphan sweeper off until the returned handle is closed. Use around code that
     * starts a process whose pid is only known (and watched) later. Cheap; re-entrant; close
     * on the thread that took it (closing twice is harmless).
     */
    public Guard guard() {
        sweepLock.readLock().lock();
        java.util.concurrent.atomic.AtomicBoolean held = new java.util.concurrent.atomic.AtomicBoolean(true);
        return () -> {
            if (held.getAndSet(false)) sweepLock.readLock().unlock();
        };
    }

    /** A held {@link #guard()}. */
    public interface Guard extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Starts a JVM-managed child and keeps the sweeper away from it until the JVM reaped it.
     * Every ProcessBuilder launched in a subreaper JVM should go through here.
     */
    public java.lang.Process spawn(ProcessBuilder pb) throws IOException {
        return ownedByJvm(pb::start);
    }

    /** Variant of {@link #spawn} for code that starts its processes itself. */
    @SuppressWarnings("try") // the guard is held, not used
    public <E extends Exception> java.lang.Process ownedByJvm(ThrowingSupplier<E> starter) throws E {
        try (Guard g = guard()) {
            java.lang.Process p = starter.get();
            long pid = p.pid();
            jvmOwned.add((int) pid);
            // onExit completes after the JVM's waitpid: then the pid is no longer ours to skip
            p.onExit().whenComplete((x, t) -> jvmOwned.remove((int) pid));
            return p;
        }
    }

    /** Something that starts a JVM process. */
    @FunctionalInterface
    public interface ThrowingSupplier<E extends Exception> {
        java.lang.Process get() throws E;
    }

    /** How many unowned orphans the sweeper has reaped so far. */
    public long orphansReaped() {
        return orphansReaped;
    }

    /** Runs the orphan sweeper now (also done automatically). */
    public void sweepNow() {
        Fds.signalEventfd(wakeFd);
    }

    /** Number of pids currently watched. */
    public int watchedCount() {
        return watchedPids.size();
    }

    /** Stops the thread; pending watches fail. The subreaper flag stays (it cannot matter). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Fds.signalEventfd(wakeFd);
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (this == shared) shared = null;
    }

    private void loop() {
        long nextSweep = System.nanoTime();
        try {
            while (!closed) {
                pending.forEach((fd, w) -> {
                    byPidfd.put(fd, w);
                    pending.remove(fd);
                });
                int n = byPidfd.size() + 1;
                int[] fds = new int[n];
                short[] ev = new short[n];
                fds[0] = wakeFd;
                ev[0] = LibC.POLLIN;
                int i = 1;
                for (int fd : byPidfd.keySet()) {
                    fds[i] = fd;
                    ev[i++] = LibC.POLLIN;
                }
                long waitMs = Math.max(0, (nextSweep - System.nanoTime()) / 1_000_000);
                short[] rev = Fds.poll(fds, ev, (int) Math.min(waitMs, SWEEP_INTERVAL_MS));
                boolean exited = false;
                if (rev != null) {
                    if (rev[0] != 0) Fds.drainEventfd(wakeFd);
                    for (i = 1; i < n; i++) {
                        if (rev[i] != 0) {
                            reap(byPidfd.remove(fds[i]));
                            exited = true;
                        }
                    }
                }
                if (exited || rev == null || rev[0] != 0 || System.nanoTime() - nextSweep >= 0) {
                    sweep();
                    nextSweep = System.nanoTime() + SWEEP_INTERVAL_MS * 1_000_000L;
                }
            }
        } catch (Throwable t) {
            log.error("exit watcher failed", t);
        } finally {
            IOException gone = new IOException("exit watcher closed");
            pending.forEach((fd, w) -> byPidfd.put(fd, w));
            for (Watched w : byPidfd.values()) {
                synchronized (w) {
                    w.reaped = true;
                    Fds.closeQuietly(w.pidfd);
                }
                watchedPids.remove(w.pid);
                byPid.remove(w.pid, w);
                w.future.completeExceptionally(gone);
            }
            byPidfd.clear();
            Fds.closeQuietly(wakeFd);
        }
    }

    private void reap(Watched w) {
        ExitStatus st = null;
        IOException err = null;
        synchronized (w) { // against signal(): the pidfd must not be used once closed
            try {
                st = reapIfExited(w.pidfd, siginfo);
                if (st == null) {
                    pending.put(w.pidfd, w); // readable but not reapable yet: keep watching
                    return;
                }
            } catch (LastErrorException e) {
                err = Fds.io("waitid(P_PIDFD) for pid " + w.pid
                        + (e.getErrorCode() == LibC.ECHILD ? " (not our child, or reaped elsewhere)" : ""), e);
            }
            w.reaped = true;
            Fds.closeQuietly(w.pidfd);
        }
        watchedPids.remove(w.pid);
        byPid.remove(w.pid, w);
        // callbacks (which may wait for stdio relays) must never stall this thread
        ExitStatus fst = st;
        IOException ferr = err;
        // named: the callbacks log, and Logback names an unnamed thread through reflection
        Thread.ofVirtual().name("exit-" + w.pid).start(() -> {
            if (fst != null) w.future.complete(fst);
            else w.future.completeExceptionally(ferr);
        });
    }

    /** Reaps the child behind {@code pidfd} if it has exited (null while it runs); {@code siginfo} is scratch. */
    static ExitStatus reapIfExited(int pidfd, Memory siginfo) {
        siginfo.clear();
        C.waitid(LibC.P_PIDFD, pidfd, siginfo, LibC.WEXITED | LibC.WNOHANG);
        return siginfo.getInt(16) == 0 ? null : fromSiginfo(siginfo.getInt(8), siginfo.getInt(24));
    }

    /** The exit waitid reported, from its si_code and si_status. */
    private static ExitStatus fromSiginfo(int siCode, int siStatus) {
        java.time.Instant now = java.time.Instant.now();
        return switch (siCode) {
            case LibC.CLD_EXITED -> ExitStatus.exited(siStatus & 0xff, now);
            case LibC.CLD_KILLED -> ExitStatus.killed(siStatus, false, now);
            case LibC.CLD_DUMPED -> ExitStatus.killed(siStatus, true, now);
            default -> ExitStatus.exited(255, now); // not a termination
        };
    }

    /** Reaps zombie children that nobody watches and the JVM does not own. */
    private void sweep() {
        if (!sweepLock.writeLock().tryLock()) return; // someone is spawning: next round
        try {
            for (int round = 0; round < 1024; round++) {
                siginfo.clear();
                try {
                    C.waitid(LibC.P_ALL, 0, siginfo, LibC.WEXITED | LibC.WNOHANG | LibC.WNOWAIT);
                } catch (LastErrorException e) {
                    return; // ECHILD: no children at all
                }
                int pid = siginfo.getInt(16);
                if (pid == 0) return; // children exist, none is a zombie
                if (watchedPids.contains(pid)) {
                    // a watched process that just exited (an exec's, handed to us when runc
                    // exited): its pidfd is readable, the loop reaps it next and sweeps again.
                    // Scanning now would hold its exit back from the task's Wait.
                    return;
                }
                if (!reapable(pid)) {
                    // the first zombie is the JVM's: look at all of them
                    for (int z : zombieChildren()) if (reapable(z)) reapOrphan(z);
                    return;
                }
                reapOrphan(pid);
            }
        } finally {
            sweepLock.writeLock().unlock();
        }
    }

    private boolean reapable(int pid) {
        return !watchedPids.contains(pid) && !jvmOwned.contains(pid);
    }

    private void reapOrphan(int pid) {
        try {
            siginfo.clear();
            C.waitid(LibC.P_PID, pid, siginfo, LibC.WEXITED | LibC.WNOHANG);
            if (siginfo.getInt(16) == pid) {
                orphansReaped++;
                log.debug("reaped orphan {}", pid);
            }
        } catch (LastErrorException ignored) {
            // gone already
        }
    }

    /**
     * Our zombie children. Each of our threads lists its children (orphans handed to us as
     * subreaper included) in /proc/self/task/TID/children: a handful of small reads where
     * scanning every process of the machine took a millisecond and ~8 KiB of garbage per
     * process, on every exec. Kernels without that file (CONFIG_PROC_CHILDREN) get the scan.
     */
    static List<Integer> zombieChildren() {
        List<Integer> out = new ArrayList<>();
        List<Integer> children = childrenOfOurThreads();
        if (children == null) {
            return zombieChildrenByScan();
        }
        for (int pid : children) {
            String[] f = statFields(Path.of("/proc", Integer.toString(pid), "stat"));
            if (f != null && f[0].equals("Z")) out.add(pid);
        }
        return out;
    }

    /** The children of every thread of this process; null where the kernel does not list them. */
    static List<Integer> childrenOfOurThreads() {
        List<Integer> out = new ArrayList<>();
        String[] tasks = new java.io.File("/proc/self/task").list();
        if (tasks == null) return null;
        for (String tid : tasks) {
            Path list = Path.of("/proc/self/task", tid, "children");
            try {
                for (String pid : readProcFile(list).trim().split(" ")) {
                    if (!pid.isEmpty()) out.add(Integer.parseInt(pid));
                }
            } catch (NoSuchFileException e) {
                if (!Files.isDirectory(list.getParent())) continue; // the thread ended meanwhile
                return null;
            } catch (IOException | RuntimeException e) {
                // the thread ended meanwhile
            }
        }
        return out;
    }

    /** Our zombie children, from every process's /proc/PID/stat (state Z, ppid = us). */
    private static List<Integer> zombieChildrenByScan() {
        List<Integer> out = new ArrayList<>();
        String self = Long.toString(ProcessHandle.current().pid());
        String[] names = new java.io.File("/proc").list();
        if (names == null) return out;
        for (String name : names) {
            if (name.isEmpty() || !Character.isDigit(name.charAt(0))) continue;
            String[] f = statFields(Path.of("/proc", name, "stat"));
            if (f != null && f[0].equals("Z") && f[1].equals(self)) out.add(Integer.parseInt(name));
        }
        return out;
    }

    /** State and ppid from a /proc/PID/stat (the first fields after comm), null if it is gone. */
    private static String[] statFields(Path stat) {
        String head;
        try {
            head = readProcFile(stat);
        } catch (IOException e) {
            return null; // raced with its exit
        }
        int comm = head.lastIndexOf(')'); // comm may hold spaces and parens
        String[] f = comm < 0 ? new String[0] : head.substring(comm + 1).strip().split(" ", 3);
        return f.length < 3 ? null : f;
    }

    /**
     * A /proc file's text. Its size reads as 0, so Files.readString would start with an 8 KiB
     * buffer for a line of a few dozen bytes; this starts with 1 KiB.
     */
    private static String readProcFile(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(1024);
            String text = new String(head, StandardCharsets.US_ASCII);
            return head.length < 1024 ? text : text + new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
