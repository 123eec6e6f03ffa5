package dev.hcsshim.windows;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names and security of the shim's named pipes, as pure functions (testable anywhere). The
 * endpoint lives under {@code \\.\pipe\ProtectedPrefix\Administrators\}, where only elevated
 * processes may create pipes, and its DACL admits only LocalSystem and Administrators.
 */
public final class PipeSecurity {
    private PipeSecurity() {}

    public static final String PIPE_ROOT = "\\\\.\\pipe\\";
    public static final String PROTECTED_PREFIX = PIPE_ROOT + "ProtectedPrefix\\Administrators\\";
    /** Protected DACL (no inherited ACEs): GENERIC_ALL for SYSTEM (SY) and BUILTIN\Administrators (BA). */
    public static final String SHIM_SDDL = "D:P(A;;GA;;;SY)(A;;GA;;;BA)";
    /** Windows rejects longer pipe names. */
    public static final int MAX_PIPE_PATH = 256;

    /** The ttrpc endpoint containerd dials for a shim: {@code containerd-shim-<ns>-<id>-pipe}. */
    public static String shimPipePath(String namespace, String id) {
        requireName(namespace, "namespace");
        requireName(id, "id");
        return checkPath(PROTECTED_PREFIX + "containerd-shim-" + namespace + "-" + id + "-pipe");
    }

    private static void requireName(String s, String what) {
        if (s == null || s.isEmpty()) throw new IllegalArgumentException(what + " is empty");
        if (s.indexOf('\\') >= 0 || s.indexOf('/') >= 0 || s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " may not contain path separators: " + s);
        }
    }

    /** Validates a local pipe path and returns it. */
    public static String checkPath(String path) {
        if (path == null || !path.regionMatches(true, 0, PIPE_ROOT, 0, PIPE_ROOT.length())) {
            throw new IllegalArgumentException("not a local named pipe path: " + path);
        }
        if (path.length() <= PIPE_ROOT.length()) throw new IllegalArgumentException("pipe name is empty");
        if (path.length() > MAX_PIPE_PATH) {
            throw new IllegalArgumentException("pipe path longer than " + MAX_PIPE_PATH + " characters: " + path);
        }
        return path;
    }

    /** Whether only administrators can have created a pipe at {@code path} (case-insensitive, as Windows). */
    public static boolean isProtected(String path) {
        return path != null && path.toLowerCase(Locale.ROOT).startsWith(PROTECTED_PREFIX.toLowerCase(Locale.ROOT))
                && path.length() > PROTECTED_PREFIX.length();
    }

    /** One ACE of an SDDL DACL. */
    public record Ace(String type, String flags, String rights, String trustee) {}

    private static final Pattern ACE = Pattern.compile("\\(([^;()]*);([^;()]*);([^;()]*);([^;()]*);([^;()]*);([^;()]*)\\)");

    /** The DACL flags ("P", "AI"...) and ACEs of an SDDL string's D: part. */
    public static List<Ace> daclAces(String sddl) {
        int d = sddl.indexOf("D:");
        if (d < 0) throw new IllegalArgumentException("no DACL in " + sddl);
        String dacl = sddl.substring(d + 2);
        int s = dacl.indexOf("S:");
        if (s >= 0) dacl = dacl.substring(0, s);
        List<Ace> aces = new ArrayList<>();
        Matcher m = ACE.matcher(dacl);
        int end = dacl.indexOf('(') < 0 ? dacl.length() : dacl.indexOf('(');
        int last = end;
        while (m.find()) {
            if (m.start() != last) throw new IllegalArgumentException("malformed ACE list: " + dacl);
            aces.add(new Ace(m.group(1), m.group(2), m.group(3), m.group(6)));
            last = m.end();
        }
        if (last != dacl.length()) throw new IllegalArgumentException("malformed ACE list: " + dacl);
        return aces;
    }

    /** Whether the DACL is protected from inheritance ("D:P..."). */
    public static boolean isDaclProtected(String sddl) {
        int d = sddl.indexOf("D:");
        String flags = sddl.substring(d + 2, sddl.indexOf('(', d) < 0 ? sddl.length() : sddl.indexOf('(', d));
        return flags.contains("P");
    }

    /** The trustees an SDDL grants any access to, or null if a deny ACE makes the answer not a plain set. */
    public static Set<String> allowedTrustees(String sddl) {
        Set<String> out = new LinkedHashSet<>();
        for (Ace a : daclAces(sddl)) {
            if (a.type().equals("A")) out.add(a.trustee());
            else if (!a.type().equals("D")) return null;
        }
        return out;
    }
}
