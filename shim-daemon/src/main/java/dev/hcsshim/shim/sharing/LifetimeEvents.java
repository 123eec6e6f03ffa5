package dev.hcsshim.shim.sharing;

import com.google.protobuf.Message;
import dev.hcsshim.proto.events.TaskCreate;
import dev.hcsshim.proto.events.TaskDelete;
import dev.hcsshim.shim.task.EventSink;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Task events as the daemon's lifetime needs them, on their way to containerd: a created task
 * spent its start's lease; a deleted one leaves the {@link CleanedMarker} in its bundle, and the
 * daemon's log follows the live tasks ({@link DaemonLog}). Events are published from within the
 * RPC, so all this happens before containerd sees the answer.
 */
public final class LifetimeEvents implements EventSink {
    private static final Logger log = LoggerFactory.getLogger(LifetimeEvents.class);

    private final EventSink next;
    private final DaemonLifetime lifetime;
    /** Also where the live tasks' bundles are kept, oldest first. */
    private final DaemonLog daemonLog;

    public LifetimeEvents(EventSink next, DaemonLifetime lifetime, DaemonLog daemonLog) {
        this.next = next;
        this.lifetime = lifetime;
        this.daemonLog = daemonLog;
    }

    @Override
    public void publish(String topic, Message event) {
        if (event instanceof TaskCreate created) {
            lifetime.taskCreated(created.getContainerId());
            daemonLog.taskCreated(created.getContainerId(), Path.of(created.getBundle()));
        } else if (event instanceof TaskDelete deleted) {
            Path bundle = daemonLog.taskDeleted(deleted.getContainerId());
            if (bundle != null) {
                try {
                    CleanedMarker.mark(bundle);
                } catch (IOException e) {
                    log.debug("no cleanup marker in {}: {}", bundle, e.toString());
                }
            }
        }
        next.publish(topic, event);
    }
}
