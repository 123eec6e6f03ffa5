package dev.hcsshim.nativeimage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.graalvm.nativeimage.RuntimeOptions;
import sun.misc.Signal;

/**
 * Facts about the GraalVM native executable this code may be running in, and what it must set up
 * before any library loads: on a JVM the launcher script does this with java's command line.
 */
public final class NativeImage {
    /** The environment variable whose {@code -Dname=value} words the launcher passes to the JVM. */
    static final String EXTRA_OPTIONS = "HCSSHIM_EXTRA_JVM_OPTS";
    /** The image's run-time option for the free heap chunks a collection keeps. */
    private static final String MAX_HEAP_FREE = "MaxHeapFree";

    private NativeImage() {}

    /** True in the native executable, false on a JVM. */
    public static boolean inExecutable() {
        return "runtime".equals(System.getProperty("org.graalvm.nativeimage.imagecode"));
    }

    /**
     * SIGTERM, SIGINT and SIGHUP end the process through its shutdown hooks, as they do on a JVM.
     * The image does not install these handlers in every process (the builder's
     * InstallExitHandlers sets them up, ~1 ms, before main of each {@code start} and
     * {@code delete} too, which containerd waits for and which have no hook); the programs with
     * hooks call this.
     */
    public static void runShutdownHooksOnSignals() {
        if (!inExecutable()) {
            return; // the JVM does it
        }
        for (String name : List.of("TERM", "INT", "HUP")) {
            Signal.handle(new Signal(name), signal -> System.exit(128 + signal.getNumber()));
        }
    }

    /**
     * A full collection that gives every free heap chunk back to the kernel. Otherwise the heap
     * keeps up to {@code MaxHeapFree} of them (the pom: a busy daemon's young generation, so
     * that its calls do not fault it back in page by page after every collection). Executable
     * only: the option is the image's.
     */
    public static void collectReleasingFreeChunks() {
        Long keep = RuntimeOptions.get(MAX_HEAP_FREE);
        RuntimeOptions.set(MAX_HEAP_FREE, 1L); // 1 byte rounds to no chunk (0 is the policy's choice)
        try {
            System.gc();
        } finally {
            RuntimeOptions.set(MAX_HEAP_FREE, keep);
        }
    }

    /** The executable file itself, whatever name or link started it. */
    public static Path executable() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/exe"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/exe", e);
        }
    }

    /** The name this process was started as: the last element of argv[0]. */
    public static String invokedName() {
        try {
            byte[] cmdline = Files.readAllBytes(Path.of("/proc/self/cmdline"));
            int end = 0;
            while (end < cmdline.length && cmdline[end] != 0) {
                end++;
            }
            String argv0 = new String(cmdline, 0, end, StandardCharsets.UTF_8);
            return argv0.substring(argv0.lastIndexOf('/') + 1);
        } catch (IOException e) {
            return executable().getFileName().toString();
        }
    }

    /**
     * Every platform thread with its stack, and the calling thread (virtual or not), in the shape
     * of the JDK's plain-text thread dump. The image has no HotSpotDiagnosticMXBean, and the JDK's
     * own dumper needs a VM entry point this toolchain does not link (JVM_CreateThreadSnapshot);
     * other virtual threads are not listed.
     */
    public static String threadDump() {
        Map<Thread, StackTraceElement[]> stacks = new LinkedHashMap<>(Thread.getAllStackTraces());
        stacks.putIfAbsent(Thread.currentThread(), Thread.currentThread().getStackTrace());
        StringBuilder out = new StringBuilder();
        stacks.forEach((thread, frames) -> {
            out.append('#').append(thread.threadId()).append(" \"").append(thread.getName()).append('"')
                    .append(thread.isVirtual() ? " virtual" : "").append('\n');
            for (StackTraceElement frame : frames) {
                out.append("      ").append(frame).append('\n');
            }
            out.append('\n');
        });
        return out.toString();
    }

    /**
     * Applies what the JVM launcher would have: {@code -D} words of {@value #EXTRA_OPTIONS} become
     * system properties (the tests and the demo pass the socket directory so), and native
     * libraries come from the distribution's {@code lib/} rather than being unpacked from jars
     * into a temp directory on every start (JNA's dispatch library, Netty's epoll transport).
     */
    public static void configure() {
        String extra = System.getenv(EXTRA_OPTIONS);
        if (extra != null) {
            for (String word : extra.trim().split("\\s+")) {
                if (word.startsWith("-D") && word.length() > 2) {
                    int eq = word.indexOf('=');
                    System.setProperty(eq < 0 ? word.substring(2) : word.substring(2, eq), eq < 0 ? "" : word.substring(eq + 1));
                }
            }
        }
        Path lib = executable().resolveSibling("../lib").normalize();
        if (Files.isRegularFile(lib.resolve("libjnidispatch.so"))) {
            System.setProperty("jna.boot.library.path", lib.toString());
            System.setProperty("jna.nosys", "true");
            System.setProperty("jna.nounpack", "true");
        }
        // Netty tries java.library.path before unpacking its library; the image reads it per load.
        String path = System.getProperty("java.library.path", "");
        System.setProperty("java.library.path", path.isEmpty() ? lib.toString() : lib + ":" + path);
    }
}
