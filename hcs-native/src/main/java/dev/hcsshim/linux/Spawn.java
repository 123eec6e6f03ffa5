package dev.hcsshim.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.hcsshim.process.ExitStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Starts a program with {@code posix_spawn(3)}: glibc starts the child sharing the parent's memory
 * until it execs ({@code CLONE_VM|CLONE_VFORK}), as Go's os/exec does. The JDK's
 * {@link ProcessBuilder} in a native image forks instead: the kernel copies the page tables of the
 * whole daemon, and every page the daemon writes afterwards takes a copy-on-write fault, which cost
 * a daemon more CPU per runtime call than the call itself.
 *
 * <p>The child gets the given descriptors as 0, 1 and 2 (-1: {@code /dev/null}), the
 * {@code inherited} ones as 3, 4, ..., no other descriptor (everything above is closed, whatever
 * its close-on-exec flag), default signal
 * dispositions and an empty signal mask, and this process's environment. Its exit is observed
 * with {@link ExitWatcher#watch} (which needs the pid watched before its orphan sweeper runs: spawn
 * inside {@link ExitWatcher#guard()}) or, without a watcher, {@link #waitFor}.
 */
public final class Spawn {
    private static final LibC C = LibC.INSTANCE;
    /**
     * This process's environment as {@code NAME=value} strings, what a ProcessBuilder's child
     * inherits: made once (System.getenv() is the environment the process started with) and kept
     * for the life of the process.
     */
    private static final Memory ENVIRONMENT = cStringArray(System.getenv().entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue()).toList());
    /** Whether this glibc closes every descriptor from 3 up in one action (2.34+). */
    private static final boolean CLOSEFROM = hasLibcFunction("posix_spawn_file_actions_addclosefrom_np");

    private Spawn() {}

    /**
     * Starts {@code argv[0]} (an absolute path: no PATH search) in {@code dir} (null: ours; another
     * needs glibc 2.29+) and returns its pid. {@code newSession} puts it in a session of its own,
     * as {@code setsid(1)}.
     */
    public static int start(List<String> argv, Path dir, int stdin, int stdout, int stderr, boolean newSession,
                            int... inherited) throws IOException {
        return start(argv, dir, stdin, stdout, stderr, newSession, CLOSEFROM, inherited);
    }

    /** {@link #start}, closing descriptors above the inherited ones in one action ({@code closefrom}) or one by one. */
    static int start(List<String> argv, Path dir, int stdin, int stdout, int stderr, boolean newSession,
                     boolean closefrom, int... inherited) throws IOException {
        if (argv.isEmpty() || !argv.get(0).startsWith("/")) {
            throw new IllegalArgumentException("spawn needs an absolute program path, got " + argv);
        }
        int firstClosed = 3 + inherited.length;
        // A source below firstClosed could be overwritten by an earlier dup2 in the child: such a
        // one is passed from a copy above that range, closed again after the spawn.
        int[] sources = inherited.clone();
        try {
            for (int i = 0; i < sources.length; i++) {
                if (sources[i] < firstClosed) {
                    sources[i] = C.fcntl(inherited[i], LibC.F_DUPFD_CLOEXEC, firstClosed);
                }
            }
            return spawn(argv, dir, new int[] {stdin, stdout, stderr}, sources, newSession, closefrom);
        } catch (LastErrorException e) {
            throw Fds.io("cannot pass descriptors to " + argv.get(0), e);
        } finally {
            for (int i = 0; i < sources.length; i++) {
                if (sources[i] != inherited[i]) Fds.closeQuietly(sources[i]);
            }
        }
    }

    private static int spawn(List<String> argv, Path dir, int[] stdio, int[] inherited, boolean newSession,
                             boolean closefrom) throws IOException {
        int firstClosed = 3 + inherited.length;
        try (Memory actions = new Memory(LibC.SPAWN_FILE_ACTIONS_SIZE);
             Memory attr = new Memory(LibC.SPAWNATTR_SIZE);
             Memory signals = new Memory(LibC.SIGSET_SIZE)) {
            check("posix_spawn_file_actions_init", C.posix_spawn_file_actions_init(actions));
            try {
                check("posix_spawnattr_init", C.posix_spawnattr_init(attr));
                try {
                    for (int target = 0; target < 3; target++) {
                        check("spawn stdio", stdio[target] < 0
                                ? C.posix_spawn_file_actions_addopen(actions, target, "/dev/null", LibC.O_RDWR, 0)
                                : C.posix_spawn_file_actions_adddup2(actions, stdio[target], target));
                    }
                    for (int i = 0; i < inherited.length; i++) {
                        check("spawn inherited", C.posix_spawn_file_actions_adddup2(actions, inherited[i], 3 + i));
                    }
                    if (closefrom) {
                        check("spawn closefrom", C.posix_spawn_file_actions_addclosefrom_np(actions, firstClosed));
                    } else {
                        // one close per descriptor open now; glibc ignores one closed meanwhile
                        for (int fd : openDescriptorsFrom(firstClosed)) {
                            check("spawn close", C.posix_spawn_file_actions_addclose(actions, fd));
                        }
                    }
                    if (dir != null) {
                        check("spawn chdir", C.posix_spawn_file_actions_addchdir_np(actions, dir.toString()));
                    }
                    C.sigfillset(signals);
                    check("spawn sigdefault", C.posix_spawnattr_setsigdefault(attr, signals));
                    C.sigemptyset(signals);
                    check("spawn sigmask", C.posix_spawnattr_setsigmask(attr, signals));
                    short flags = (short) (LibC.POSIX_SPAWN_SETSIGDEF | LibC.POSIX_SPAWN_SETSIGMASK
                            | (newSession ? LibC.POSIX_SPAWN_SETSID : 0));
                    check("spawn flags", C.posix_spawnattr_setflags(attr, flags));
                    int[] pid = new int[1];
                    int err;
                    try (Memory args = cStringArray(argv)) {
                        err = C.posix_spawn(pid, argv.get(0), actions, attr, args, ENVIRONMENT);
                    }
                    if (err != 0) {
                        throw Fds.io("cannot run " + argv.get(0), err);
                    }
                    return pid[0];
                } finally {
                    C.posix_spawnattr_destroy(attr);
                }
            } finally {
                C.posix_spawn_file_actions_destroy(actions);
            }
        }
    }

    /**
     * Waits up to {@code timeoutMs} for a child started without an {@link ExitWatcher} and reaps
     * it; null when it is still running (then it is not reaped: its pid stays ours to signal).
     */
    public static ExitStatus waitFor(int pid, long timeoutMs) throws IOException {
        int pidfd;
        try {
            pidfd = (int) C.syscall(LibC.SYS_PIDFD_OPEN, pid, 0);
        } catch (LastErrorException e) {
            throw Fds.io("pidfd_open(" + pid + ")", e);
        }
        try (Memory siginfo = new Memory(LibC.SIGINFO_SIZE)) {
            long deadline = System.nanoTime() + timeoutMs * 1_000_000;
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left < 0) return null;
                if (Fds.poll(new int[] {pidfd}, new short[] {LibC.POLLIN}, (int) Math.min(left, Integer.MAX_VALUE)) == null) {
                    continue; // timed out: the loop's deadline check decides
                }
                ExitStatus status = ExitWatcher.reapIfExited(pidfd, siginfo);
                if (status != null) {
                    return status;
                }
            }
        } catch (LastErrorException e) {
            throw Fds.io("waitid for pid " + pid, e);
        } finally {
            Fds.closeQuietly(pidfd);
        }
    }

    /**
     * {@code strings} as execve(2) takes them: a NULL-terminated array of pointers to
     * NUL-terminated UTF-8 strings, all in one block. (JNA would convert a String[] argument one
     * allocation per string, and after the call read every string back into the array.)
     */
    static Memory cStringArray(List<String> strings) {
        List<byte[]> encoded = strings.stream().map(v -> v.getBytes(StandardCharsets.UTF_8)).toList();
        long pointers = (long) (encoded.size() + 1) * Native.POINTER_SIZE;
        Memory block = new Memory(pointers + encoded.stream().mapToLong(b -> b.length + 1L).sum());
        long offset = pointers;
        for (int i = 0; i < encoded.size(); i++) {
            byte[] bytes = encoded.get(i);
            block.setPointer((long) i * Native.POINTER_SIZE, block.share(offset));
            block.write(offset, bytes, 0, bytes.length);
            block.setByte(offset + bytes.length, (byte) 0);
            offset += bytes.length + 1;
        }
        block.setPointer((long) encoded.size() * Native.POINTER_SIZE, null);
        return block;
    }

    private static int[] openDescriptorsFrom(int first) {
        String[] names = new java.io.File("/proc/self/fd").list();
        return names == null ? new int[0]
                : java.util.Arrays.stream(names).mapToInt(Integer::parseInt).filter(fd -> fd >= first).toArray();
    }

    private static boolean hasLibcFunction(String name) {
        try {
            com.sun.jna.NativeLibrary.getInstance(LibC.LIBRARY).getFunction(name);
            return true;
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
    }

    private static void check(String what, int err) throws IOException {
        if (err != 0) {
            throw Fds.io(what, err);
        }
    }
}
