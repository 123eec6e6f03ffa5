package dev.hcsshim.shim;

/**
 * Which backend and endpoint the daemon uses: the OCI runtime and a unix socket on Linux, HCS
 * and a protected named pipe on Windows. Windows classes are only ever reached by name, from the
 * WINDOWS branch, so a Linux JVM never loads them (their JNA bindings would fail there).
 */
public enum Platform {
    LINUX,
    WINDOWS;

    public static Platform of(String osName) {
        return osName != null && osName.startsWith("Windows") ? WINDOWS : LINUX;
    }

    public static Platform current() {
        return of(System.getProperty("os.name"));
    }

    /** The address containerd is told to dial for this shim. */
    public String shimAddress(String containerdAddress, String namespace, String group) {
        return switch (this) {
            case LINUX -> ShimEndpoint.forShim(containerdAddress, namespace, group).address();
            case WINDOWS -> (String) callWindows("dev.hcsshim.windows.PipeSecurity", "shimPipePath",
                    new Class<?>[] {String.class, String.class}, namespace, group);
        };
    }

    /**
     * On Windows: a named-pipe server at the shim's protected path, admitting only SYSTEM and
     * Administrators, with several instances listening ({@code NamedPipes.Server}, whose
     * {@code accept()} yields byte-stream connections for the ttrpc server).
     */
    public AutoCloseable listenWindowsPipe(String namespace, String group, int instances) {
        if (this != WINDOWS) throw new IllegalStateException("named pipes are a Windows endpoint");
        String path = shimAddress("", namespace, group);
        String sddl = (String) staticField("dev.hcsshim.windows.PipeSecurity", "SHIM_SDDL");
        return (AutoCloseable) callWindows("dev.hcsshim.windows.NamedPipes$Server", "listen",
                new Class<?>[] {String.class, String.class, int.class}, path, sddl, instances);
    }

    /** The compute backend: runc/crun on Linux, HCS on Windows (constructed by name there). */
    public dev.hcsshim.shim.task.TaskBackend taskBackend() {
        return switch (this) {
            case LINUX -> new dev.hcsshim.shim.linux.OciTaskBackend(dev.hcsshim.linux.ExitWatcher.shared());
            case WINDOWS -> {
                try {
                    yield (dev.hcsshim.shim.task.TaskBackend) Class.forName("dev.hcsshim.shim.windows.HcsTaskBackend")
                            .getConstructor().newInstance();
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("Windows support missing: HcsTaskBackend", e);
                }
            }
        };
    }

    /**
     * On Windows: the protected named pipe containerd dials, its clients bridged to the ttrpc
     * server's private socket. Returns the endpoint (close it to stop) whose toString-free
     * address is {@link #shimAddress}.
     */
    public AutoCloseable bridgeWindowsPipe(String namespace, String group, java.nio.file.Path ttrpcSocket) {
        if (this != WINDOWS) throw new IllegalStateException("named pipes are a Windows endpoint");
        return (AutoCloseable) callWindows("dev.hcsshim.shim.windows.WindowsEndpoint", "bridge",
                new Class<?>[] {String.class, String.class, java.nio.file.Path.class}, namespace, group, ttrpcSocket);
    }

    private static Object callWindows(String cls, String method, Class<?>[] types, Object... args) {
        try {
            return Class.forName(cls).getMethod(method, types).invoke(null, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            throw new IllegalStateException(c);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Windows support missing: " + cls, e);
        }
    }

    private static Object staticField(String cls, String name) {
        try {
            return Class.forName(cls).getField(name).get(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Windows support missing: " + cls, e);
        }
    }
}
