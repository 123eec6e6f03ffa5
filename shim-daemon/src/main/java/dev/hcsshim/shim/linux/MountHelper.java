package dev.hcsshim.shim.linux;

import com.sun.jna.LastErrorException;
import dev.hcsshim.linux.LibC;

/**
 * {@code MountHelper <shim pid> <tree fd> <target>}: runs in a fresh process (a JVM, or the native
 * executable with {@value #COMMAND} as its first argument) that nsenter put into the container's
 * mount namespace (with the host's root directory, so the program could start). A
 * multithreaded JVM cannot setns(CLONE_NEWNS) itself, and a classic bind mount refuses a source
 * from another namespace; a detached tree made by open_tree(2) in the shim may be attached
 * anywhere, but only by a process living in the target's namespace. So this borrows the shim's
 * tree fd with pidfd_getfd(2) and move_mount(2)s it onto the target.
 */
public final class MountHelper {
    /** The native executable's first argument that makes it this helper. */
    public static final String COMMAND = "mount-helper";

    private MountHelper() {}

    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: MountHelper <shim pid> <tree fd> <target>");
            System.exit(2);
        }
        LibC c = LibC.INSTANCE;
        try {
            int pidfd = (int) c.syscall(DiagSys.SYS_PIDFD_OPEN, Long.parseLong(args[0]), 0L);
            int tree = (int) c.syscall(DiagSys.SYS_PIDFD_GETFD, (long) pidfd, Long.parseLong(args[1]), 0L);
            c.syscall(DiagSys.SYS_MOVE_MOUNT, (long) tree, "", DiagSys.AT_FDCWD, args[2], DiagSys.MOVE_MOUNT_F_EMPTY_PATH);
        } catch (LastErrorException e) {
            System.err.println("mount on " + args[2] + " failed: errno " + e.getErrorCode());
            System.exit(1);
        }
        System.exit(0);
    }
}
