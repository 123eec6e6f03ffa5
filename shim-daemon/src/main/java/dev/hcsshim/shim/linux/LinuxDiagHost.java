package dev.hcsshim.shim.linux;

import dev.hcsshim.linux.ExitWatcher;
import dev.hcsshim.linux.Fds;
import dev.hcsshim.nativeimage.NativeImage;
import dev.hcsshim.proto.runhcs.diag.ExecProcessRequest;
import dev.hcsshim.shim.diag.DiagHost;
import dev.hcsshim.shim.task.Errdefs;
import dev.hcsshim.shim.task.TaskView;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Diag on Linux, where hcsshim's utility VM is the sandbox: exec runs on the host or, for a
 * sandbox, in its init's namespaces (nsenter); share bind-mounts into the task's mount namespace.
 */
public final class LinuxDiagHost implements DiagHost {
    private static final Logger log = LoggerFactory.getLogger(LinuxDiagHost.class);

    @Override
    public int exec(ExecProcessRequest req, TaskView sandbox) throws IOException, InterruptedException {
        return new HostExec(req, sandbox == null ? 0 : sandbox.pid()).run();
    }

    /**
     * Bind-mounts {@code host} at {@code target} in the mount namespace of the task's init: a detached
     * copy of the host path (made read-only before it is attached) moved into place by a helper
     * that nsenter put into that namespace (see {@link MountHelper}).
     */
    @Override
    public void share(String hostPath, String target, boolean readOnly, Supplier<TaskView> task)
            throws IOException, InterruptedException {
        RootPaths.requireClean("host_path", hostPath);
        RootPaths.requireClean("uvm_path", target);
        Path host = Path.of(hostPath);
        if (!Files.exists(host)) {
            throw Errdefs.notFound("host path %s does not exist", hostPath);
        }
        int pid = task.get().pid();
        Path root = Path.of("/proc/" + pid + "/root");
        Path mountpoint = RootPaths.resolve(root, target);
        if (!Files.exists(mountpoint)) {
            try {
                Files.createDirectories(mountpoint.getParent());
                if (Files.isDirectory(host)) {
                    Files.createDirectory(mountpoint);
                } else {
                    Files.createFile(mountpoint);
                }
            } catch (IOException e) {
                throw Errdefs.failedPrecondition("cannot create the mount point %s in the container: %s", target, e.toString());
            }
        } else if (Files.isDirectory(mountpoint) != Files.isDirectory(host)) {
            throw Errdefs.invalidArgument("%s and %s are not both directories or both files", host, target);
        }
        int tree = DiagSys.openTreeClone(host.toString(), readOnly);
        try {
            List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Integer.toString(pid), "-m", "--root=/", "--wd=/"));
            cmd.addAll(mountHelper());
            cmd.addAll(List.of(Long.toString(ProcessHandle.current().pid()), Integer.toString(tree), mountpoint.toString()));
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectInput(new java.io.File("/dev/null"));
            Process p = ExitWatcher.shared().spawn(pb);
            String output;
            try (var in = p.getInputStream()) {
                output = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw Errdefs.unavailable("mount helper did not finish in time");
            }
            if (p.exitValue() != 0) {
                throw Errdefs.failedPrecondition("cannot share %s at %s: %s", host, target, output);
            }
            log.info("shared {} at {} ({}) in the mount namespace of pid {}", host, target, readOnly ? "ro" : "rw", pid);
        } finally {
            Fds.closeQuietly(tree);
        }
    }

    /** The command that runs {@link MountHelper}: this native executable, or a small JVM. */
    private static List<String> mountHelper() {
        if (NativeImage.inExecutable()) {
            return List.of(NativeImage.executable().toString(), MountHelper.COMMAND);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx32m", "-Xlog:disable",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), MountHelper.class.getName());
    }
}
