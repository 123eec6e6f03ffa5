package dev.hcsshim.shim;

import static org.junit.jupiter.api.Assertions.*;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlatformTest {

    @Test
    void osNamesMapToPlatforms() {
        assertEquals(Platform.WINDOWS, Platform.of("Windows Server 2022"));
        assertEquals(Platform.LINUX, Platform.of("Linux"));
        assertEquals(Platform.LINUX, Platform.of(null));
    }

    @Test
    void windowsAddressIsTheProtectedPipe() {
        assertEquals("\\\\.\\pipe\\ProtectedPrefix\\Administrators\\containerd-shim-default-c1-pipe",
                Platform.WINDOWS.shimAddress("ignored", "default", "c1"));
        assertThrows(IllegalStateException.class, () -> Platform.LINUX.listenWindowsPipe("ns", "id", 4));
        assertThrows(IllegalStateException.class, () -> Platform.LINUX.bridgeWindowsPipe("ns", "id", java.nio.file.Path.of("/x")));
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

    @Test
    void linuxSelectionLoadsNoWindowsClass() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String p : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            urls.add(java.nio.file.Path.of(p).toUri().toURL());
        }
        try (Recording cl = new Recording(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            Class<?> platform = cl.loadClass("dev.hcsshim.shim.Platform");
            Object linux = platform.getMethod("of", String.class).invoke(null, "Linux");
            String addr = (String) platform.getMethod("shimAddress", String.class, String.class, String.class)
                    .invoke(linux, "/run/containerd/containerd.sock", "default", "c1");
            assertTrue(addr.startsWith("unix://"), addr);
            assertTrue(cl.loaded.contains("dev.hcsshim.shim.ShimEndpoint"), "the recorder works: " + cl.loaded);
            // the daemon's code (verified and initialised whole) and the backend choice it makes
            Class.forName("dev.hcsshim.shim.ServeCommand", true, cl);
            assertNotNull(platform.getMethod("taskBackend"));
            assertTrue(cl.loaded.contains("dev.hcsshim.shim.ServeCommand"), cl.loaded.toString());
            assertTrue(cl.loaded.stream().noneMatch(n -> n.startsWith("dev.hcsshim.windows.")
                    || n.startsWith("dev.hcsshim.shim.windows.")), cl.loaded.toString());
        }
    }
}
