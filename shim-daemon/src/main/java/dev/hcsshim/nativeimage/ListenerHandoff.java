package dev.hcsshim.nativeimage;

import dev.hcsshim.linux.LibC;
import java.io.IOException;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.graalvm.nativeimage.UnmanagedMemory;
import org.graalvm.nativeimage.c.function.CFunction;
import org.graalvm.nativeimage.c.type.CCharPointer;
import org.graalvm.nativeimage.c.type.CCharPointerPointer;
import org.graalvm.nativeimage.c.type.CIntPointer;
import org.graalvm.nativeimage.c.type.CTypeConversion;
import org.graalvm.nativeimage.c.type.CTypeConversion.CCharPointerHolder;
import org.graalvm.nativeimage.c.type.CTypeConversion.CCharPointerPointerHolder;
import org.graalvm.word.PointerBase;

/**
 * How the native {@code start} hands its daemon a socket that already listens, as containerd's
 * own shims do: {@code start} binds the task's socket, spawns the daemon with it as descriptor
 * {@value #DAEMON_FD} and returns at once, so containerd's work after {@code start} (reaping it,
 * connecting, sending Create) overlaps the daemon's start-up, and Create waits in the socket's
 * backlog instead of containerd waiting for a readiness line.
 *
 * <p>These are direct libc calls compiled into the image: JNA's first use would cost {@code start}
 * more than the handoff saves, and the JDK's process launcher passes no descriptor beyond 0–2.
 * {@link #accepts} asks a socket whether a daemon serves there, as {@code start} does before it
 * joins a group's daemon.
 * Native executable only (a JVM has no such calls; its {@code start} waits for the daemon).
 */
public final class ListenerHandoff {
    /** Where the daemon finds the listening socket. */
    public static final int DAEMON_FD = 3;

    // The rest are LibC's: compile-time constants, so using them here loads nothing of JNA.
    private static final int EADDRINUSE = 98;
    private static final int PIPE_DEFAULT_CAPACITY = 65536;
    private static final int SUN_PATH_MAX = 108;
    private static final int SOCKADDR_UN_SIZE = 2 + SUN_PATH_MAX;

    private ListenerHandoff() {}

    /**
     * A unix stream socket bound at {@code path} and listening. Not close-on-exec: it is meant to
     * reach the daemon, and {@link #spawn} closes every other descriptor in the child.
     */
    public static int listen(Path path, int backlog) throws IOException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= SUN_PATH_MAX) {
            throw new IOException("socket path too long for a unix socket: " + path);
        }
        int fd = socket(LibC.AF_UNIX, LibC.SOCK_STREAM, 0);
        if (fd < 0) {
            throw failure("socket", errno());
        }
        CCharPointer address = socketAddress(name);
        try {
            if (bind(fd, address, 2 + name.length + 1) != 0) {
                int e = errno();
                close(fd);
                IOException failed = failure("bind " + path, e);
                // another start won the race for this path between its check and our bind
                throw e == EADDRINUSE ? new BindException(failed.getMessage()) : failed;
            }
            if (listen(fd, backlog) != 0) {
                int e = errno();
                close(fd);
                throw failure("listen on " + path, e);
            }
            return fd;
        } finally {
            UnmanagedMemory.free(address);
        }
    }

    /**
     * Whether something accepts connections on the unix socket at {@code path}: a connect that
     * succeeds, or that finds the backlog full (non-blocking: a busy daemon does not hold us up).
     * The JDK's channel would answer the same, but its first unix-domain channel in a process
     * seeds a SecureRandom and probes TCP socket options: a {@code start} joining a group's
     * daemon took 6.4 ms with it, 4.7 without.
     */
    public static boolean accepts(Path path) {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= SUN_PATH_MAX) {
            return false;
        }
        int fd = socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC | LibC.SOCK_NONBLOCK, 0);
        if (fd < 0) {
            return false;
        }
        CCharPointer address = socketAddress(name);
        try {
            return connect(fd, address, 2 + name.length + 1) == 0 || errno() == LibC.EAGAIN;
        } finally {
            UnmanagedMemory.free(address);
            close(fd);
        }
    }

    /** A {@code sockaddr_un} for {@code name} (shorter than {@value #SUN_PATH_MAX}), zero-terminated; free it. */
    private static CCharPointer socketAddress(byte[] name) {
        CCharPointer address = UnmanagedMemory.calloc(SOCKADDR_UN_SIZE);
        address.write(0, (byte) LibC.AF_UNIX); // sa_family_t, little-endian
        for (int i = 0; i < name.length; i++) {
            address.write(2 + i, name[i]);
        }
        return address;
    }

    /**
     * Starts {@code argv} in {@code directory} with {@code stdin} to read on descriptor 0,
     * {@code listeningFd} as {@value #DAEMON_FD}, /dev/null as 1 and 2 (containerd reads
     * {@code start}'s output until every writer is gone) and no other descriptor, every signal
     * unblocked and at its default (whatever this process's runtime set); returns its pid.
     */
    public static long spawn(List<String> argv, Path directory, byte[] stdin, int listeningFd) throws IOException {
        int[] pipe = optionsPipe(stdin);
        PointerBase actions = UnmanagedMemory.calloc(LibC.SPAWN_FILE_ACTIONS_SIZE);
        PointerBase attributes = UnmanagedMemory.calloc(LibC.SPAWNATTR_SIZE);
        PointerBase signals = UnmanagedMemory.calloc(LibC.SIGSET_SIZE);
        CIntPointer pid = UnmanagedMemory.calloc(4);
        try (CCharPointerPointerHolder args = CTypeConversion.toCStrings(argv.toArray(String[]::new));
             CCharPointerPointerHolder env = CTypeConversion.toCStrings(environment());
             CCharPointerHolder program = CTypeConversion.toCString(argv.getFirst());
             CCharPointerHolder devNull = CTypeConversion.toCString("/dev/null");
             CCharPointerHolder dir = CTypeConversion.toCString(directory.toString())) {
            check("posix_spawn_file_actions_init", posix_spawn_file_actions_init(actions));
            check("posix_spawnattr_init", posix_spawnattr_init(attributes));
            try {
                check("setflags", posix_spawnattr_setflags(attributes, (short) (LibC.POSIX_SPAWN_SETSIGDEF | LibC.POSIX_SPAWN_SETSIGMASK)));
                check("sigfillset", sigfillset(signals));
                check("setsigdefault", posix_spawnattr_setsigdefault(attributes, signals));
                check("sigemptyset", sigemptyset(signals));
                check("setsigmask", posix_spawnattr_setsigmask(attributes, signals));
                // 0 first: the pipe's read end may be descriptor 3 itself.
                check("adddup2", posix_spawn_file_actions_adddup2(actions, pipe[0], 0));
                check("addopen", posix_spawn_file_actions_addopen(actions, 1, devNull.get(), LibC.O_WRONLY, 0));
                check("adddup2", posix_spawn_file_actions_adddup2(actions, 1, 2));
                if (listeningFd != DAEMON_FD) {
                    check("adddup2", posix_spawn_file_actions_adddup2(actions, listeningFd, DAEMON_FD));
                }
                check("addclosefrom", posix_spawn_file_actions_addclosefrom_np(actions, DAEMON_FD + 1));
                check("addchdir", posix_spawn_file_actions_addchdir_np(actions, dir.get()));
                int error = posix_spawn(pid, program.get(), actions, attributes, args.get(), env.get());
                if (error != 0) {
                    throw failure("spawning " + argv.getFirst(), error);
                }
                return pid.read();
            } finally {
                posix_spawnattr_destroy(attributes);
                posix_spawn_file_actions_destroy(actions);
            }
        } finally {
            UnmanagedMemory.free(pid);
            UnmanagedMemory.free(signals);
            UnmanagedMemory.free(attributes);
            UnmanagedMemory.free(actions);
            close(pipe[0]);
            close(pipe[1]);
        }
    }

    public static void closeDescriptor(int fd) {
        close(fd);
    }

    /** A pipe already holding {@code content} and its end: the daemon reads it whenever it gets there. */
    private static int[] optionsPipe(byte[] content) throws IOException {
        CIntPointer fds = UnmanagedMemory.calloc(8);
        int[] pipe;
        try {
            if (pipe2(fds, LibC.O_CLOEXEC) != 0) {
                throw failure("pipe", errno());
            }
            pipe = new int[] {fds.read(0), fds.read(1)};
        } finally {
            UnmanagedMemory.free(fds);
        }
        try {
            if (content.length > PIPE_DEFAULT_CAPACITY && fcntl(pipe[1], LibC.F_SETPIPE_SZ, content.length) < 0) {
                throw failure("runtime options of " + content.length + " bytes do not fit a pipe", errno());
            }
            try (CCharPointerHolder bytes = CTypeConversion.toCBytes(content)) {
                for (int done = 0; done < content.length; ) {
                    long n = write(pipe[1], bytes.get().addressOf(done), content.length - done);
                    if (n <= 0) {
                        throw failure("writing the runtime options", errno());
                    }
                    done += (int) n;
                }
            }
            return pipe;
        } catch (IOException e) {
            close(pipe[0]);
            close(pipe[1]);
            throw e;
        }
    }

    private static String[] environment() {
        Map<String, String> env = System.getenv();
        return env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new);
    }

    private static void check(String call, int error) throws IOException {
        if (error != 0) {
            throw failure(call, error);
        }
    }

    private static IOException failure(String what, int errno) {
        return new IOException(what + ": " + CTypeConversion.toJavaString(strerror(errno)) + " (errno " + errno + ")");
    }

    private static int errno() {
        return errnoLocation().read();
    }

    // No transition for the short calls: nothing runs between one of them and the errno read.
    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int socket(int domain, int type, int protocol);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int bind(int fd, PointerBase address, int length);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int listen(int fd, int backlog);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int connect(int fd, PointerBase address, int length);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int close(int fd);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int pipe2(CIntPointer fds, int flags);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int fcntl(int fd, int command, int argument);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native long write(int fd, PointerBase buffer, long count);

    @CFunction(value = "__errno_location", transition = CFunction.Transition.NO_TRANSITION)
    private static native CIntPointer errnoLocation();

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native CCharPointer strerror(int errno);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int posix_spawn_file_actions_init(PointerBase actions);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int posix_spawn_file_actions_destroy(PointerBase actions);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int posix_spawn_file_actions_adddup2(PointerBase actions, int fd, int newFd);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int posix_spawn_file_actions_addopen(PointerBase actions, int fd, CCharPointer path, int flags, int mode);

    /** glibc 2.34, like the symbols the JDK's own libraries link into the image. */
    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int posix_spawn_file_actions_addclosefrom_np(PointerBase actions, int from);

    /** glibc 2.29. */
    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int posix_spawn_file_actions_addchdir_np(PointerBase actions, CCharPointer path);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int posix_spawnattr_init(PointerBase attributes);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int posix_spawnattr_destroy(PointerBase attributes);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int posix_spawnattr_setflags(PointerBase attributes, short flags);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int posix_spawnattr_setsigdefault(PointerBase attributes, PointerBase signals);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int posix_spawnattr_setsigmask(PointerBase attributes, PointerBase signals);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int sigfillset(PointerBase signals);

    @CFunction(transition = CFunction.Transition.NO_TRANSITION)
    private static native int sigemptyset(PointerBase signals);

    /** The caller waits (vfork) until the child has exec'd: a transition, so a collection elsewhere need not wait. */
    @CFunction
    private static native int posix_spawn(CIntPointer pid, CCharPointer path, PointerBase actions, PointerBase attributes,
                                          CCharPointerPointer argv, CCharPointerPointer envp);
}
