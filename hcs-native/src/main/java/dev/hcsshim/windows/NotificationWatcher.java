package dev.hcsshim.windows;

import com.sun.jna.Pointer;
import dev.hcsshim.hcs.HcsError;
import dev.hcsshim.hcs.Hcs;
import dev.hcsshim.hcs.HcsResult;
import dev.hcsshim.hcs.ErrorEvent;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Receives the notifications of one HCS handle. HCS calls back on its own threads with a
 * context number; that number, not a Java object, crosses into native code, so a notification
 * for an unregistered handle finds nothing and is dropped.
 */
final class NotificationWatcher {
    private static final Map<Long, NotificationWatcher> REGISTRY = new ConcurrentHashMap<>();
    private static final AtomicLong NEXT = new AtomicLong(1);

    /** One static callback, strongly held, so JNA never frees the native trampoline. */
    static final Vmcompute.NotificationCallback CALLBACK = NotificationWatcher::dispatch;

    private final long key = NEXT.getAndIncrement();
    private final int exitType;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<Integer, ArrayDeque<Optional<Throwable>>> queues = new HashMap<>();
    private Optional<Throwable> exited; // latched: every waiter sees an exit
    private Optional<Throwable> disconnected;
    private boolean closed;

    NotificationWatcher(int exitType) {
        this.exitType = exitType;
        REGISTRY.put(key, this);
    }

    Pointer context() {
        return new Pointer(key);
    }

    /** The thread the last notification arrived on (tests check it is HCS's, not ours). */
    static volatile Thread lastDispatchThread;

    private static void dispatch(int type, Pointer context, int status, Pointer data) {
        lastDispatchThread = Thread.currentThread();
        Throwable result;
        try {
            result = parse(status, HcsCalls.takeData(data));
        } catch (Throwable t) {
            result = t;
        }
        NotificationWatcher w = REGISTRY.get(Pointer.nativeValue(context));
        if (w != null) w.deliver(type, result);
    }

    /** A notification's status and data as the error (or null) its waiter gets. */
    static Throwable parse(int status, String json) {
        Throwable err = HcsCalls.error(status);
        List<ErrorEvent> events = HcsResult.events(json);
        if (!events.isEmpty()) {
            return new HcsError("notification", err != null ? err : Hcs.ERR_UNEXPECTED_VALUE, events);
        }
        return err;
    }

    void deliver(int type, Throwable result) {
        lock.lock();
        try {
            if (closed) return;
            if (type == exitType) {
                if (exited == null) exited = Optional.ofNullable(result);
            } else if (type == Notification.SERVICE_DISCONNECT) {
                disconnected = Optional.ofNullable(result);
            } else {
                queues.computeIfAbsent(type, t -> new ArrayDeque<>()).add(Optional.ofNullable(result));
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for {@code type}; returns its error or null. An exit, a service disconnect, a close
     * or the timeout (null waits forever) end the wait with hcsshim's errors.
     */
    Throwable await(int type, Duration timeout) throws InterruptedException {
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (true) {
                if (type == exitType && exited != null) return exited.orElse(null);
                ArrayDeque<Optional<Throwable>> q = queues.get(type);
                if (q != null && !q.isEmpty()) return q.poll().orElse(null);
                if (closed) return Hcs.ERR_HANDLE_CLOSE;
                if (exited != null) return Hcs.ERR_UNEXPECTED_CONTAINER_EXIT;
                if (disconnected != null) return Hcs.ERR_UNEXPECTED_PROCESS_ABORT;
                long left = deadline - System.nanoTime();
                if (left <= 0) return Hcs.ERR_TIMEOUT;
                if (timeout == null) changed.await();
                else changed.awaitNanos(Math.min(left, TimeUnit.DAYS.toNanos(1)));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Stops delivery and wakes every waiter with ErrHandleClose. Idempotent. */
    void close() {
        REGISTRY.remove(key);
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
