package dev.hcsshim.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Platform;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one thread that moves the bytes of every {@link SpliceRelay} in the process: epoll over the
 * fds the relays are waiting on, each armed one-shot for the single readiness its relay needs
 * next. A daemon serving a hundred tasks thus relays their stdio with one thread and one epoll fd,
 * not three threads and three eventfds per task; a stalled reader only parks its own relay.
 *
 * <p>Netty's epoll transport would be the library for this, but it only takes sockets; these
 * are pipes, FIFOs and pty masters.
 */
final class RelayLoop {
    /** Readiness callback of one armed fd; runs on the loop thread. */
    interface Waiter {
        void ready();
    }

    private static final int MAX_EVENTS = 64;
    /** struct epoll_event is packed on x86_64 (12 bytes, data at 4), naturally aligned elsewhere. */
    private static final int EVENT_SIZE = Platform.isIntel() ? 12 : 16;
    private static final int DATA_OFFSET = Platform.isIntel() ? 4 : 8;
    private static final LibC C = LibC.INSTANCE;
    private static volatile RelayLoop shared;

    private final int epfd;
    private final int wakeFd;
    private final Thread thread;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Token (epoll data) to waiter; only touched on the loop thread. */
    private final Map<Long, Waiter> waiters = new HashMap<>();
    private long nextToken = 1;

    private RelayLoop() throws IOException {
        try {
            epfd = C.epoll_create1(LibC.EPOLL_CLOEXEC);
        } catch (LastErrorException e) {
            throw Fds.io("epoll_create1", e);
        }
        wakeFd = Fds.eventfd();
        try (Memory ev = new Memory(EVENT_SIZE)) {
            ev.setInt(0, LibC.EPOLLIN);
            ev.setLong(DATA_OFFSET, 0);
            C.epoll_ctl(epfd, LibC.EPOLL_CTL_ADD, wakeFd, ev);
        } catch (LastErrorException e) {
            throw Fds.io("epoll_ctl wake fd", e);
        }
        // Small stack: the loop only calls splice/read/write and the relays' state machines.
        thread = Thread.ofPlatform().daemon().name("stdio-relays").stackSize(256 * 1024).unstarted(this::run);
        thread.start();
    }

    /** The process's loop, started on first use. */
    static RelayLoop shared() throws IOException {
        RelayLoop loop = shared;
        if (loop == null) {
            synchronized (RelayLoop.class) {
                loop = shared;
                if (loop == null) {
                    shared = loop = new RelayLoop();
                }
            }
        }
        return loop;
    }

    /** Runs the task on the loop thread, after the events at hand. */
    void execute(Runnable task) {
        tasks.add(task);
        Fds.signalEventfd(wakeFd);
    }

    /** How many fds relays have in the loop now (tests: a finished relay leaves nothing behind). */
    int interests() throws IOException {
        CompletableFuture<Integer> n = new CompletableFuture<>();
        execute(() -> n.complete(waiters.size()));
        try {
            return n.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("relay loop did not answer", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /**
     * A registration of one fd in the loop's epoll set (loop thread only). The fd may be shared
     * with another relay (stdout and stderr into one log): epoll takes a file once per set, so
     * the second registration goes through a duplicate it closes at {@link #close()}.
     */
    final class Interest {
        private final long token = nextToken++;
        private final int fd;
        private int registeredFd = -1;
        private boolean pollable = true;

        Interest(int fd, Waiter waiter) {
            this.fd = fd;
            waiters.put(token, waiter);
        }

        /**
         * Calls the waiter once when the fd is ready for {@code events} (or in error or hung up).
         * Returns false for a file epoll cannot watch (a regular file), which is always ready.
         */
        boolean arm(int events) throws IOException {
            if (!pollable) {
                return false;
            }
            try (Memory ev = new Memory(EVENT_SIZE)) {
                ev.setInt(0, events | LibC.EPOLLONESHOT);
                ev.setLong(DATA_OFFSET, token);
                if (registeredFd >= 0) {
                    C.epoll_ctl(epfd, LibC.EPOLL_CTL_MOD, registeredFd, ev);
                    return true;
                }
                try {
                    C.epoll_ctl(epfd, LibC.EPOLL_CTL_ADD, fd, ev);
                    registeredFd = fd;
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == LibC.EPERM) {
                        pollable = false;
                        return false;
                    }
                    if (e.getErrorCode() != LibC.EEXIST) {
                        throw e;
                    }
                    int dup = C.fcntl(fd, LibC.F_DUPFD_CLOEXEC, 0);
                    try {
                        C.epoll_ctl(epfd, LibC.EPOLL_CTL_ADD, dup, ev);
                    } catch (LastErrorException e2) {
                        Fds.closeQuietly(dup);
                        throw e2;
                    }
                    registeredFd = dup;
                }
                return true;
            } catch (LastErrorException e) {
                throw Fds.io("epoll_ctl fd " + fd, e);
            }
        }

        /** Leaves the epoll set (before the owner may close the fd). */
        void close() {
            waiters.remove(token);
            if (registeredFd >= 0) {
                try {
                    C.epoll_ctl(epfd, LibC.EPOLL_CTL_DEL, registeredFd, null);
                } catch (LastErrorException ignored) {
                    // already gone with its file
                }
                if (registeredFd != fd) {
                    Fds.closeQuietly(registeredFd);
                }
                registeredFd = -1;
            }
        }
    }

    private void run() {
        try (Memory events = new Memory((long) EVENT_SIZE * MAX_EVENTS)) {
            while (true) {
                int n;
                try {
                    n = C.epoll_wait(epfd, events, MAX_EVENTS, -1);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == LibC.EINTR) {
                        continue;
                    }
                    throw e;
                }
                for (int i = 0; i < n; i++) {
                    long token = events.getLong((long) i * EVENT_SIZE + DATA_OFFSET);
                    if (token == 0) {
                        Fds.drainEventfd(wakeFd);
                        continue;
                    }
                    Waiter waiter = waiters.get(token);
                    if (waiter != null) {
                        waiter.ready();
                    }
                }
                for (Runnable task; (task = tasks.poll()) != null; ) {
                    task.run();
                }
            }
        } catch (Throwable t) {
            // Nothing the relays do throws here (they complete their futures instead): a bug.
            System.err.println("stdio relay loop stopped: " + t);
            throw t;
        }
    }
}
