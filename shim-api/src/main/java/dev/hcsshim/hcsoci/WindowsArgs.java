package dev.hcsshim.hcsoci;

import java.util.List;

/** Builds a Windows command line the way CommandLineToArgvW will split it back (Go's EscapeArg rules). */
public final class WindowsArgs {
    private WindowsArgs() {}

    public static String join(List<String> args) {
        StringBuilder sb = new StringBuilder();
        for (String a : args) {
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(escape(a));
        }
        return sb.toString();
    }

    public static String escape(String s) {
        if (s.isEmpty()) return "\"\"";
        boolean quote = s.indexOf(' ') >= 0 || s.indexOf('\t') >= 0;
        boolean special = s.indexOf('"') >= 0 || s.indexOf('\\') >= 0;
        if (!quote && !special) return s;
        if (!special) return '"' + s + '"';
        StringBuilder b = new StringBuilder(s.length() + 8);
        if (quote) b.append('"');
        int slashes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                slashes++;
            } else if (c == '"') {
                // backslashes before a quote are doubled, and the quote itself escaped
                b.append("\\".repeat(slashes)).append('\\');
                slashes = 0;
            } else {
                slashes = 0;
            }
            b.append(c);
        }
        if (quote) b.append("\\".repeat(slashes)).append('"');
        return b.toString();
    }
}
