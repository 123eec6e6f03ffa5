package dev.hcsshim.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The libc calls the Linux backend needs (x86_64 / aarch64 glibc). Every call that can fail throws
 * {@link LastErrorException}; {@link LastErrorException#getErrorCode()} is the errno.
 * Structures are passed as raw {@link com.sun.jna.Memory} with documented offsets (see users).
 */
public interface LibC extends Library {

    /**
     * glibc by its soname: JNA maps "c" to libc.so, which dlopen cannot load (a linker script),
     * and then searches the whole library path.
     */
    String LIBRARY = "libc.so.6";

    LibC INSTANCE = loadLibc(LibC.class);

    /**
     * glibc through the JNA interface {@code api}; every Linux binding of libc loads it here.
     * JNA's first library load on Linux also runs {@code ldconfig -p} (a fork, an exec and 500
     * lines parsed: ~20 ms of every daemon start) to build a search path, unless
     * {@code jna.platform.library.path} is set. A soname needs no search path: dlopen finds it.
     */
    static <T extends Library> T loadLibc(Class<T> api) {
        if (System.getProperty("jna.platform.library.path") == null) {
            System.setProperty("jna.platform.library.path", "");
        }
        return Native.load(LIBRARY, api);
    }

    // errno values we branch on
    int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, EBADF = 9, ECHILD = 10, EAGAIN = 11,
            EACCES = 13, EBUSY = 16, EINVAL = 22, EPIPE = 32, ENOSYS = 38;

    int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_NOCTTY = 0x100, O_NONBLOCK = 0x800,
            O_CLOEXEC = 0x80000;
    int F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, FD_CLOEXEC = 1, F_SETPIPE_SZ = 1031,
            F_GETPIPE_SZ = 1032;

    int PR_SET_CHILD_SUBREAPER = 36, PR_GET_CHILD_SUBREAPER = 37;

    int P_ALL = 0, P_PID = 1, P_PIDFD = 3;
    int WNOHANG = 1, WEXITED = 4, WNOWAIT = 0x01000000;
    int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;
    /** sizeof(siginfo_t); offsets: si_signo 0, si_code 8, si_pid 16, si_uid 20, si_status 24. */
    int SIGINFO_SIZE = 128;

    long SYS_PIDFD_SEND_SIGNAL = 424, SYS_PIDFD_OPEN = 434;

    short POLLIN = 1, POLLOUT = 4, POLLERR = 8, POLLHUP = 0x10, POLLNVAL = 0x20;

    int SPLICE_F_MOVE = 1, SPLICE_F_NONBLOCK = 2;

    int EPOLL_CLOEXEC = O_CLOEXEC, EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
    int EPOLLIN = 1, EPOLLOUT = 4, EPOLLONESHOT = 1 << 30;
    int EEXIST = 17, F_DUPFD_CLOEXEC = 1030;

    int EFD_CLOEXEC = O_CLOEXEC, EFD_NONBLOCK = O_NONBLOCK;

    int TIOCSWINSZ = 0x5414;

    long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_SYNCHRONOUS = 16,
            MS_REMOUNT = 32, MS_DIRSYNC = 128, MS_NOATIME = 1024, MS_NODIRATIME = 2048,
            MS_BIND = 4096, MS_REC = 16384, MS_PRIVATE = 1 << 18, MS_RELATIME = 1 << 21,
            MS_STRICTATIME = 1 << 24;
    int MNT_DETACH = 2;

    int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = O_CLOEXEC, SOCK_NONBLOCK = O_NONBLOCK, SOL_SOCKET = 1, SCM_RIGHTS = 1,
            MSG_CMSG_CLOEXEC = 0x40000000;

    int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4;

    int flock(int fd, int operation) throws LastErrorException;

    int prctl(int option, long arg2, long arg3, long arg4, long arg5) throws LastErrorException;

    int setsid() throws LastErrorException;

    int getuid();

    int getpid();

    int kill(int pid, int sig) throws LastErrorException;

    /** Used for pidfd_open / pidfd_send_signal, which glibc 2.36 does not wrap everywhere. */
    long syscall(long number, Object... args) throws LastErrorException;

    int waitid(int idtype, int id, Pointer infop, int options) throws LastErrorException;

    int pipe2(int[] fds, int flags) throws LastErrorException;

    long splice(int fdIn, Pointer offIn, int fdOut, Pointer offOut, long len, int flags)
            throws LastErrorException;

    /** struct pollfd is 8 bytes: int fd @0, short events @4, short revents @6. */
    int poll(Pointer fds, long nfds, int timeoutMs) throws LastErrorException;

    int fcntl(int fd, int cmd, int arg) throws LastErrorException;

    int epoll_create1(int flags) throws LastErrorException;

    /** struct epoll_event: uint32 events, then uint64 data (packed on x86_64: 12 bytes; 16 elsewhere). */
    int epoll_ctl(int epfd, int op, int fd, Pointer event) throws LastErrorException;

    int epoll_wait(int epfd, Pointer events, int maxEvents, int timeoutMs) throws LastErrorException;

    int open(String path, int flags, int mode) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int dup(int fd) throws LastErrorException;

    int dup2(int oldFd, int newFd) throws LastErrorException;

    int dup3(int oldFd, int newFd, int flags) throws LastErrorException;

    long read(int fd, Pointer buf, long count) throws LastErrorException;

    long write(int fd, Pointer buf, long count) throws LastErrorException;

    int mkfifo(String path, int mode) throws LastErrorException;

    int MFD_CLOEXEC = 1;

    /** glibc 2.27+: an anonymous file in memory, gone with its last descriptor. */
    int memfd_create(String name, int flags) throws LastErrorException;

    /** TIOCSWINSZ with a struct winsize (4 unsigned shorts: rows, cols, xpixel, ypixel). */
    int ioctl(int fd, long request, Pointer arg) throws LastErrorException;

    int MADV_DONTNEED = 4;

    int madvise(Pointer addr, long length, int advice) throws LastErrorException;

    int mount(String source, String target, String fstype, long flags, String data)
            throws LastErrorException;

    int umount2(String target, int flags) throws LastErrorException;

    int eventfd(int initval, int flags) throws LastErrorException;

    int socket(int domain, int type, int protocol) throws LastErrorException;

    int bind(int fd, Pointer addr, int len) throws LastErrorException;

    int listen(int fd, int backlog) throws LastErrorException;

    int accept4(int fd, Pointer addr, Pointer len, int flags) throws LastErrorException;

    long recvmsg(int fd, Pointer msghdr, int flags) throws LastErrorException;

    // posix_spawn(3): these return an errno instead of setting it (no LastErrorException)
    short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;
    /** glibc's sizes: posix_spawn_file_actions_t 80, posix_spawnattr_t 336, sigset_t 128 (rounded up). */
    int SPAWN_FILE_ACTIONS_SIZE = 128, SPAWNATTR_SIZE = 384, SIGSET_SIZE = 128;

    /** argv and envp: NULL-terminated arrays of C strings (Spawn.cStringArray). */
    int posix_spawn(int[] pid, String path, Pointer fileActions, Pointer attr, Pointer argv, Pointer envp);

    int posix_spawn_file_actions_init(Pointer fileActions);

    int posix_spawn_file_actions_destroy(Pointer fileActions);

    int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);

    int posix_spawn_file_actions_addopen(Pointer fileActions, int fd, String path, int flags, int mode);

    /** glibc 2.29+. */
    int posix_spawn_file_actions_addchdir_np(Pointer fileActions, String path);

    /** glibc 2.34+; older ones get one close action per open descriptor instead ({@link Spawn}). */
    int posix_spawn_file_actions_addclosefrom_np(Pointer fileActions, int from);

    int posix_spawn_file_actions_addclose(Pointer fileActions, int fd);

    int posix_spawnattr_init(Pointer attr);

    int posix_spawnattr_destroy(Pointer attr);

    int posix_spawnattr_setflags(Pointer attr, short flags);

    int posix_spawnattr_setsigmask(Pointer attr, Pointer sigset);

    int posix_spawnattr_setsigdefault(Pointer attr, Pointer sigset);

    int sigemptyset(Pointer sigset);

    int sigfillset(Pointer sigset);

    int IN_MODIFY = 0x2, IN_NONBLOCK = O_NONBLOCK, IN_CLOEXEC = O_CLOEXEC;

    int inotify_init1(int flags) throws LastErrorException;

    int inotify_add_watch(int fd, String path, int mask) throws LastErrorException;
}
