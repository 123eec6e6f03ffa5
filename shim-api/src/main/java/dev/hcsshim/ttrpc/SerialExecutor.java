package dev.hcsshim.ttrpc;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs tasks one at a time, in order, on a delegate: gRPC listeners must never be called concurrently. */
final class SerialExecutor implements Executor {
    private static final Logger LOG = LoggerFactory.getLogger(SerialExecutor.class);
    private final Executor delegate;
    private final Queue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean();

    SerialExecutor(Executor delegate) { this.delegate = delegate; }

    @Override
    public void execute(Runnable task) {
        queue.add(task);
        schedule();
    }

    private void schedule() {
        if (!running.compareAndSet(false, true)) return;
        try {
            delegate.execute(this::drain);
        } catch (RejectedExecutionException e) {
            running.set(false);
            queue.clear();
            LOG.debug("executor is shut down; dropping queued call events", e);
        }
    }

    private void drain() {
        try {
            Runnable r;
            while ((r = queue.poll()) != null) {
                try {
                    r.run();
                } catch (Throwable t) {
                    LOG.warn("uncaught exception in call task", t);
                }
            }
        } finally {
            running.set(false);
            if (!queue.isEmpty()) schedule();
        }
    }
}
