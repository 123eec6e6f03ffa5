package dev.hcsshim.shim.diag;

import dev.hcsshim.proto.runhcs.diag.ExecProcessRequest;
import dev.hcsshim.shim.task.TaskView;
import java.io.IOException;
import java.util.function.Supplier;

/** What DiagExecInHost and DiagShare do on a platform; the diag service keeps the rules around them. */
public interface DiagHost {

    /**
     * Runs {@code req}'s command with the caller's stdio pipes and returns its exit code (a
     * non-zero exit is a result, not an error). {@code sandbox} is the task whose sandbox the
     * command runs in, or null to run it on the shim's host.
     */
    int exec(ExecProcessRequest req, TaskView sandbox) throws IOException, InterruptedException;

    /**
     * Makes the host path {@code hostPath} visible at {@code target} inside the task {@code task}
     * names (looked up once the request is found valid: it fails when no task runs).
     */
    void share(String hostPath, String target, boolean readOnly, Supplier<TaskView> task) throws IOException, InterruptedException;
}
