package dev.hcsshim.shim.platform;

import static org.junit.jupiter.api.Assertions.*;

import dev.hcsshim.shim.Platforms;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class PlatformTest {

    @Test
    void osNamesMapToPlatforms() {
        assertEquals("windows", Platforms.of("Windows Server 2022").name());
        assertEquals("windows", Platforms.of("windows").name());
        assertEquals("linux", Platforms.of("Linux").name());
        assertEquals("linux", Platforms.of(null).name());
    }

    @Test
    void aPropertyForcesThePlatform() {
        assertEquals("linux", Platforms.current().name(), "this host");
        System.setProperty(Platform.PROPERTY, "windows");
        try {
            assertEquals("windows", Platforms.current().name());
        } finally {
            System.clearProperty(Platform.PROPERTY);
        }
    }

    @Test
    void addressesContainerdDials() {
        assertEquals("\\\\.\\pipe\\ProtectedPrefix\\Administrators\\containerd-shim-default-c1-pipe",
                Platforms.of("windows").address(Path.of("/run/x.sock"), "default", "c1"));
        assertEquals("unix:///run/x.sock", Platforms.of("linux").address(Path.of("/run/x.sock"), "default", "c1"));
    }

    /** Loads our classes child-first and records which ones got loaded. */
    static final class Recording extends URLClassLoader {
        final List<String> loaded = new ArrayList<>();

        Recording(URL[] urls, ClassLoader parent) {
            super(urls, parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith("dev.hcsshim.")) return super.loadClass(name, resolve);
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    c = findClass(name);
                    loaded.add(name);
                }
                if (resolve) resolveClass(c);
                return c;
            }
        }
    }

    private static Recording recording() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String p : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            urls.add(Path.of(p).toUri().toURL());
        }
        // JNA and the other libraries come from the application loader: loaded once per JVM
        return new Recording(urls.toArray(URL[]::new), PlatformTest.class.getClassLoader());
    }

    /**
     * Selects a platform in a fresh loader, as each command does, and builds every piece of it
     * the daemon uses except those that bind native code; returns what got loaded.
     */
    private static List<String> select(String os) throws Exception {
        try (Recording cl = recording()) {
            Class<?> platform = cl.loadClass("dev.hcsshim.shim.platform.Platform");
            Object p = cl.loadClass("dev.hcsshim.shim.Platforms").getMethod("of", String.class).invoke(null, os);
            platform.getMethod("address", Path.class, String.class, String.class).invoke(p, Path.of("/x"), "default", "c1");
            // the commands' code, verified and initialised whole
            for (String cmd : List.of("ServeCommand", "DeleteCommand", "StartCommand")) {
                Class.forName("dev.hcsshim.shim." + cmd, true, cl);
            }
            if (os.equals("windows")) {
                // its backend and diag host bind nothing until used; Linux's exit watcher binds libc at once
                Object backend = platform.getMethod("taskBackend").invoke(p);
                Object diag = platform.getMethod("diagHost", Class.forName("dev.hcsshim.shim.task.TaskBackend", false, cl))
                        .invoke(p, backend);
                assertEquals("dev.hcsshim.shim.windows.HcsTaskBackend", backend.getClass().getName());
                assertEquals("dev.hcsshim.shim.windows.WindowsDiagHost", diag.getClass().getName());
            } else {
                Object diag = platform.getMethod("diagHost", Class.forName("dev.hcsshim.shim.task.TaskBackend", false, cl))
                        .invoke(p, (Object) null);
                assertEquals("dev.hcsshim.shim.linux.LinuxDiagHost", diag.getClass().getName());
            }
            assertTrue(cl.loaded.contains("dev.hcsshim.shim.ServeCommand"), "the recorder works: " + cl.loaded);
            return List.copyOf(cl.loaded);
        }
    }

    private static final Predicate<String> WINDOWS = n -> n.startsWith("dev.hcsshim.windows.")
            || n.startsWith("dev.hcsshim.shim.windows.") || n.equals("dev.hcsshim.shim.windows.WindowsPlatform");
    private static final Predicate<String> LINUX = n -> n.startsWith("dev.hcsshim.linux.")
            || n.startsWith("dev.hcsshim.shim.linux.") || n.equals("dev.hcsshim.shim.linux.LinuxPlatform")
            || n.equals("dev.hcsshim.shim.linux.Daemonize") || n.equals("dev.hcsshim.shim.linux.LinuxDiagHost")
            || n.equals("dev.hcsshim.shim.linux.HostExec");

    @Test
    void linuxSelectionLoadsNoWindowsClass() throws Exception {
        List<String> loaded = select("Linux");
        assertTrue(loaded.contains("dev.hcsshim.shim.linux.LinuxPlatform"), loaded.toString());
        assertEquals(List.of(), loaded.stream().filter(WINDOWS).toList());
    }

    @Test
    void windowsSelectionLoadsNoLinuxClass() throws Exception {
        List<String> loaded = select("windows");
        assertTrue(loaded.contains("dev.hcsshim.shim.windows.WindowsPlatform"), loaded.toString());
        assertEquals(List.of(), loaded.stream().filter(LINUX).toList());
    }
}
