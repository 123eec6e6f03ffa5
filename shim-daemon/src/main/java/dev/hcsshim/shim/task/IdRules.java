package dev.hcsshim.shim.task;

import java.util.regex.Pattern;

/**
 * What a namespace, container id or exec id may look like before it is used in a path or a
 * runtime command line. containerd's own identifier rule is the model: letters, digits and
 * {@code . _ -}, starting with a letter or digit, at most 76 characters; that excludes
 * {@code ..}, {@code /} and NUL, so no id can escape a directory.
 */
public final class IdRules {
    public static final int MAX_LENGTH = 76;
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private IdRules() {}

    /** Null if {@code value} is a valid identifier, else why not. */
    public static String problem(String what, String value) {
        if (value == null || value.isEmpty()) {
            return what + " must not be empty";
        }
        if (value.length() > MAX_LENGTH) {
            return what + " " + quote(value.substring(0, 20)) + "... is longer than " + MAX_LENGTH + " characters";
        }
        if (!VALID.matcher(value).matches() || value.contains("..")) {
            return what + " " + quote(value) + " is not a valid identifier (letters, digits, '.', '_', '-'; no '..')";
        }
        return null;
    }

    /** Throws IllegalArgumentException (InvalidArgument on the wire) for an invalid identifier. */
    public static String requireValid(String what, String value) {
        String problem = problem(what, value);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return value;
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
