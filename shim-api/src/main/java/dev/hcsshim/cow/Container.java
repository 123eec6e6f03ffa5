package dev.hcsshim.cow;

import java.io.IOException;
import java.util.concurrent.CompletionStage;

/** A container or utility VM: a process host with a lifecycle of its own. */
public interface Container extends ProcessHost, AutoCloseable {

    /** Releases the resources held for the container; may also terminate it. Idempotent. */
    @Override
    void close() throws IOException;

    String id();

    /** Properties of a schema-1 (legacy) compute system, as a parsed JSON document. */
    Object properties(String... propertyTypes) throws IOException;

    /** Properties of a schema-2 compute system, as a parsed JSON document. */
    Object propertiesV2(String... propertyTypes) throws IOException;

    void start() throws IOException;

    /** Asks the container to shut down; does not wait for it. */
    void shutdown() throws IOException;

    /** Terminates the container; does not wait for it. */
    void terminate() throws IOException;

    /** Waits until the container stops or the connection to it fails (rethrown). */
    void waitFor() throws IOException, InterruptedException;

    /** Completes when the container has stopped; exceptionally with its termination error. */
    CompletionStage<Void> stopped();

    /** The termination error once {@link #stopped()} completed, or null for a clean stop. */
    IOException waitError();

    /** Sends a request to modify the container's resources. */
    void modify(Object config) throws IOException;
}
