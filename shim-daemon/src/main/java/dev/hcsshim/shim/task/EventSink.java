package dev.hcsshim.shim.task;

import com.google.protobuf.Message;

/** Where task events go (containerd's Events/Forward); topics are containerd's {@code /tasks/...}. */
public interface EventSink {
    /** Queues an event; never blocks a task RPC and keeps the order of calls. */
    void publish(String topic, Message event);
}
