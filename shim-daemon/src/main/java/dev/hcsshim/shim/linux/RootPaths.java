package dev.hcsshim.shim.linux;

import dev.hcsshim.shim.task.Errdefs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Paths inside a container seen from the host through {@code /proc/<pid>/root}. Symlinks are
 * followed by hand, confined to that root: the kernel would resolve an absolute link against the
 * shim's own root and so reach the host's file system.
 */
final class RootPaths {
    private static final int MAX_LINKS = 40;

    private RootPaths() {}

    /** An absolute path without {@code ..}: anything else is InvalidArgument. */
    static void requireClean(String what, String path) {
        if (path == null || path.isEmpty() || !path.startsWith("/")) {
            throw Errdefs.invalidArgument("%s must be an absolute path, got \"%s\"", what, path);
        }
        for (String part : path.split("/")) {
            if (part.equals("..")) {
                throw Errdefs.invalidArgument("%s must not contain \"..\", got \"%s\"", what, path);
            }
        }
    }

    /** {@code path} (absolute, inside the container) resolved to a host path under {@code root}. */
    static Path resolve(Path root, String path) throws IOException {
        Deque<String> todo = new ArrayDeque<>(List.of(path.split("/")));
        List<String> done = new ArrayList<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.pollFirst();
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (!done.isEmpty()) {
                    done.removeLast();
                }
                continue;
            }
            Path candidate = join(root, done).resolve(part);
            if (Files.isSymbolicLink(candidate)) {
                if (++links > MAX_LINKS) {
                    throw new IOException("too many levels of symbolic links in " + path);
                }
                String target = Files.readSymbolicLink(candidate).toString();
                if (target.startsWith("/")) {
                    done.clear();
                }
                List<String> parts = List.of(target.split("/"));
                for (int i = parts.size() - 1; i >= 0; i--) {
                    todo.addFirst(parts.get(i));
                }
            } else {
                done.add(part);
            }
        }
        return join(root, done);
    }

    private static Path join(Path root, List<String> parts) {
        Path p = root;
        for (String s : parts) {
            p = p.resolve(s);
        }
        return p;
    }

    /**
     * The path, as seen inside {@code root}, of the executable {@code name}: as given when it has a
     * slash, else the first hit on {@code path}; null if there is none. Symlinks stay unresolved in
     * the answer: a multi-call binary (busybox) picks its applet by the name it is run as.
     */
    static String findExecutable(Path root, String name, String path) throws IOException {
        if (name.contains("/")) {
            return isExecutableFile(resolve(root, name.startsWith("/") ? name : "/" + name)) ? name : null;
        }
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            String candidate = (dir.startsWith("/") ? dir : "/" + dir) + "/" + name;
            if (isExecutableFile(resolve(root, candidate))) {
                return candidate;
            }
        }
        return null;
    }

    private static boolean isExecutableFile(Path p) {
        return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && Files.isExecutable(p);
    }
}
