package dev.hcsshim.linux;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Mounts containerd's rootfs mounts (Create's {@code rootfs} field) on {@code <bundle>/rootfs}
 * and takes them down again. Only overlay and bind (plus any filesystem type the kernel knows,
 * with its data options) are expected from containerd's snapshotters.
 */
public final class RootfsMounts {
    private static final LibC C = LibC.INSTANCE;

    /** One containerd mount: type ("overlay", "bind", ...), source and fstab-style options. */
    public record Mount(String type, String source, List<String> options) {
        public Mount {
            options = options == null ? List.of() : List.copyOf(options);
        }
    }

    private record Flag(long set, boolean clear) {}

    private static final Map<String, Flag> FLAGS = Map.ofEntries(
            Map.entry("ro", new Flag(LibC.MS_RDONLY, false)), Map.entry("rw", new Flag(LibC.MS_RDONLY, true)),
            Map.entry("nosuid", new Flag(LibC.MS_NOSUID, false)), Map.entry("suid", new Flag(LibC.MS_NOSUID, true)),
            Map.entry("nodev", new Flag(LibC.MS_NODEV, false)), Map.entry("dev", new Flag(LibC.MS_NODEV, true)),
            Map.entry("noexec", new Flag(LibC.MS_NOEXEC, false)), Map.entry("exec", new Flag(LibC.MS_NOEXEC, true)),
            Map.entry("sync", new Flag(LibC.MS_SYNCHRONOUS, false)), Map.entry("async", new Flag(LibC.MS_SYNCHRONOUS, true)),
            Map.entry("dirsync", new Flag(LibC.MS_DIRSYNC, false)),
            Map.entry("noatime", new Flag(LibC.MS_NOATIME, false)), Map.entry("atime", new Flag(LibC.MS_NOATIME, true)),
            Map.entry("nodiratime", new Flag(LibC.MS_NODIRATIME, false)),
            Map.entry("relatime", new Flag(LibC.MS_RELATIME, false)),
            Map.entry("strictatime", new Flag(LibC.MS_STRICTATIME, false)),
            Map.entry("bind", new Flag(LibC.MS_BIND, false)),
            Map.entry("rbind", new Flag(LibC.MS_BIND | LibC.MS_REC, false)),
            Map.entry("defaults", new Flag(0, false)));

    private RootfsMounts() {}

    /**
     * Mounts each of {@code mounts}, in order, on {@code target} (created if missing). On failure
     * whatever was mounted is taken down again and the error names the failing mount.
     */
    public static void mountAll(Path target, List<Mount> mounts) throws IOException {
        Files.createDirectories(target);
        int done = 0;
        try {
            for (Mount m : mounts) {
                mountOne(target, m);
                done++;
            }
        } catch (IOException e) {
            if (done > 0) unmountAll(target);
            throw e;
        }
    }

    private static void mountOne(Path target, Mount m) throws IOException {
        long flags = 0;
        List<String> data = new ArrayList<>();
        for (String o : m.options()) {
            Flag f = FLAGS.get(o);
            if (f == null) data.add(o);
            else if (f.clear) flags &= ~f.set;
            else flags |= f.set;
        }
        String type = m.type();
        if (type.equals("bind") || type.equals("rbind")) {
            flags |= LibC.MS_BIND | (type.equals("rbind") ? LibC.MS_REC : 0);
        }
        String dataStr = data.isEmpty() ? null : String.join(",", data);
        String t = target.toString();
        try {
            boolean bind = (flags & LibC.MS_BIND) != 0;
            // a bind mount ignores MS_RDONLY at creation: read-only needs a remount
            C.mount(m.source(), t, bind ? null : type, flags & ~(bind ? LibC.MS_RDONLY : 0), dataStr);
            if (bind && (flags & LibC.MS_RDONLY) != 0) {
                C.mount(null, t, null, flags | LibC.MS_REMOUNT, null);
            }
        } catch (LastErrorException e) {
            throw new IOException("mount " + type + " " + m.source() + " on " + t + " (" + String.join(",", m.options())
                    + ") failed: errno " + e.getErrorCode() + " (" + Fds.strerror(e.getErrorCode()) + ")", e);
        }
    }

    /**
     * Unmounts everything mounted on {@code target}, topmost first; a busy mount is detached
     * lazily. Idempotent: returns quietly when nothing (or no directory) is there.
     */
    public static void unmountAll(Path target) throws IOException {
        String t = target.toString();
        for (int i = 0; i < 256 && isMountPoint(target); i++) {
            try {
                C.umount2(t, 0);
            } catch (LastErrorException e) {
                int errno = e.getErrorCode();
                if (errno == LibC.EINVAL || errno == LibC.ENOENT) return; // not (or no longer) mounted
                if (errno != LibC.EBUSY) throw Fds.io("umount " + t, e);
                try {
                    C.umount2(t, LibC.MNT_DETACH);
                } catch (LastErrorException e2) {
                    if (e2.getErrorCode() == LibC.EINVAL) return;
                    throw Fds.io("umount -l " + t, e2);
                }
            }
        }
    }

    /** Whether /proc/self/mountinfo lists {@code target} as a mount point. */
    public static boolean isMountPoint(Path target) throws IOException {
        String t = target.toAbsolutePath().normalize().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ", 6);
            if (f.length > 4 && unescape(f[4]).equals(t)) return true;
        }
        return false;
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
