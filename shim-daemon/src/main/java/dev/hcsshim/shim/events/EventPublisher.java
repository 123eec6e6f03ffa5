package dev.hcsshim.shim.events;

import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import dev.hcsshim.proto.services.events.v1.Envelope;
import dev.hcsshim.proto.services.events.v1.EventsGrpc;
import dev.hcsshim.proto.services.events.v1.ForwardRequest;
import dev.hcsshim.shim.task.EventSink;
import dev.hcsshim.shim.task.TypeUrls;
import dev.hcsshim.ttrpc.TtrpcClient;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends task events to containerd's {@code Events/Forward} over ttrpc, one at a time and in the
 * order they were published. The queue is bounded and {@link #publish} never blocks, so a task
 * RPC is never held up by containerd; a containerd that is briefly away (restarting) gets the
 * events when it is back, because a failed send is retried until it goes through or the event
 * has waited longer than {@link #MAX_EVENT_AGE}.
 */
public final class EventPublisher implements EventSink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventPublisher.class);
    static final int CAPACITY = 4096;
    static final Duration MAX_EVENT_AGE = Duration.ofMinutes(5);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

    private record Pending(String topic, Message event, Instant at) {}

    private static final Pending STOP = new Pending("", null, Instant.EPOCH);

    private final String namespace;
    private final TtrpcClient client;
    /** Bounded, but linked: an array of CAPACITY would be pages every daemon touches at start for a few events. */
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>(CAPACITY);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread sender;
    private volatile boolean closing;

    /** Publishes to {@code ttrpcAddress} (containerd's TTRPC_ADDRESS, a unix socket path). */
    public EventPublisher(String namespace, Path ttrpcAddress) {
        this(namespace, ttrpcAddress, null);
    }

    /**
     * The same, its connection on the caller's epoll group ({@code ioLoop}, null for one of its
     * own). The sender blocks only on the queue and on containerd's answers: a virtual thread.
     */
    public EventPublisher(String namespace, Path ttrpcAddress, EventLoopGroup ioLoop) {
        this.namespace = namespace;
        this.client = TtrpcClient.forSocket(ttrpcAddress, ioLoop);
        this.sender = Thread.ofVirtual().name("event-publisher").start(this::run);
    }

    @Override
    public void publish(String topic, Message event) {
        if (closing) {
            log.warn("event {} published after close; dropped", topic);
            return;
        }
        if (!queue.offer(new Pending(topic, event, Instant.now()))) {
            log.error("event queue full ({} events): dropped {} {}", CAPACITY, topic, event.getClass().getSimpleName());
        }
    }

    /** Events not yet delivered. */
    public int backlog() {
        return queue.size();
    }

    private void run() {
        try {
            while (true) {
                Pending p = queue.take();
                if (p == STOP) {
                    return;
                }
                try {
                    deliver(p);
                } catch (RuntimeException | LinkageError e) {
                    // one event that cannot be encoded must not silence every later one
                    log.error("cannot publish {}: dropped", p.topic, e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stopped.countDown();
        }
    }

    private void deliver(Pending p) throws InterruptedException {
        ForwardRequest request = ForwardRequest.newBuilder()
                .setEnvelope(Envelope.newBuilder()
                        .setTimestamp(Timestamp.newBuilder().setSeconds(p.at.getEpochSecond()).setNanos(p.at.getNano()))
                        .setNamespace(namespace)
                        .setTopic(p.topic)
                        .setEvent(TypeUrls.pack(p.event)))
                .build();
        long backoffMs = 50;
        while (true) {
            try {
                client.call(EventsGrpc.getForwardMethod(), request,
                        Map.of("containerd-namespace-ttrpc", namespace), CALL_TIMEOUT).get();
                log.debug("published {} for {}", p.topic, namespace);
                return;
            } catch (java.util.concurrent.ExecutionException e) {
                Duration age = Duration.between(p.at, Instant.now());
                if (closing || age.compareTo(MAX_EVENT_AGE) > 0) {
                    log.error("giving up on event {} after {}: {}", p.topic, age, e.getCause().toString());
                    return;
                }
                log.warn("publishing {} failed ({}); retrying", p.topic, e.getCause().toString());
                Thread.sleep(backoffMs); // retry backoff while containerd is away, not a wait on a condition
                backoffMs = Math.min(backoffMs * 2, 2000);
            }
        }
    }

    /** Delivers what is queued (bounded by {@code grace}), then stops. */
    public void flushAndClose(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        try {
            // Bounded: with containerd away and the queue full, the sender may never take again.
            boolean queued = queue.offer(STOP, grace.toMillis(), TimeUnit.MILLISECONDS);
            long left = Math.max(0, deadline - System.nanoTime());
            if (!queued || !stopped.await(left, TimeUnit.NANOSECONDS)) {
                closing = true;
                sender.interrupt();
                log.warn("{} events not delivered at shutdown", queue.size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closing = true;
            client.close();
        }
    }

    @Override
    public void close() {
        flushAndClose(Duration.ofSeconds(2));
    }
}
