package dev.hcsshim.windows;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.WinBase;
import com.sun.jna.platform.win32.WinNT;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.hcsshim.transport.PipeConnection;
import dev.hcsshim.transport.PipeDialer;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Named pipes over kernel32 with overlapped I/O: a multi-instance server for the shim's ttrpc
 * endpoint and a client dialer (upstream stdio, runhcs VM requests). Windows only; nothing here
 * loads a library until used.
 */
public final class NamedPipes {
    private NamedPipes() {}

    private static final class Libs {
        static final Win32Pipes.Kernel32 K32 = NativeLibraries.load("kernel32", Win32Pipes.Kernel32.class);
        static final Win32Pipes.Advapi32 ADV = NativeLibraries.load("advapi32", Win32Pipes.Advapi32.class);
        static final Win32Pipes.LocalMem LOCAL = NativeLibraries.load("kernel32", Win32Pipes.LocalMem.class);
    }

    private static IOException win32(String op, int code) {
        return new IOException(op + ": win32 error " + code);
    }

    /** OVERLAPPED on x64: Internal, InternalHigh, Offset, OffsetHigh, hEvent at 24. */
    private static final class Overlapped implements AutoCloseable {
        final Memory mem = new Memory(32);
        final WinNT.HANDLE event;

        Overlapped() {
            mem.clear();
            event = Libs.K32.CreateEventW(null, true, false, null);
            mem.setPointer(24, event.getPointer());
        }

        void reset() {
            mem.setLong(0, 0);
            mem.setLong(8, 0);
            mem.setLong(16, 0);
        }

        @Override
        public void close() {
            Libs.K32.CloseHandle(event);
        }
    }

    /** Runs an overlapped call and waits for it; returns bytes transferred. */
    private interface OverlappedCall {
        boolean start(Pointer ov);
    }

    private static int await(WinNT.HANDLE h, Overlapped ov, OverlappedCall call, String op, int... ok) throws IOException {
        ov.reset();
        boolean done = call.start(ov.mem);
        if (!done) {
            int err = Native.getLastError();
            for (int o : ok) if (err == o) return 0;
            if (err != Win32Pipes.ERROR_IO_PENDING) throw win32(op, err);
        }
        IntByReference n = new IntByReference();
        if (!Libs.K32.GetOverlappedResult(h, ov.mem, n, true)) throw win32(op, Native.getLastError());
        return n.getValue();
    }

    /** One connected client (or dialed server): a full-duplex byte stream. */
    public static final class Connection implements PipeConnection {
        private final WinNT.HANDLE h;
        private final boolean server;
        private final AtomicBoolean closed = new AtomicBoolean();
        private final Overlapped readOv = new Overlapped();
        private final Overlapped writeOv = new Overlapped();
        private final InputStream in = new InputStream() {
            private final Memory buf = new Memory(64 * 1024);

            @Override
            public int read() throws IOException {
                byte[] b = new byte[1];
                return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
            }

            @Override
            public synchronized int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) return 0;
                if (closed.get()) return -1;
                int want = (int) Math.min(len, buf.size());
                int n;
                try {
                    n = await(h, readOv, ov -> Libs.K32.ReadFile(h, buf, want, null, ov), "ReadFile");
                } catch (IOException e) {
                    if (closed.get() || isEof(e)) return -1;
                    throw e;
                }
                if (n == 0) return -1;
                buf.read(0, b, off, n);
                return n;
            }
        };
        private final OutputStream out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) throws IOException {
                if (closed.get()) throw new IOException("pipe closed");
                Memory m = new Memory(Math.max(1, len));
                m.write(0, b, off, len);
                int done = 0;
                while (done < len) {
                    int at = done;
                    done += await(h, writeOv, ov -> Libs.K32.WriteFile(h, m.share(at), len - at, null, ov), "WriteFile");
                }
            }
        };

        Connection(WinNT.HANDLE h, boolean server) {
            this.h = h;
            this.server = server;
        }

        private static boolean isEof(IOException e) {
            String m = e.getMessage();
            return m.endsWith(" " + Win32Pipes.ERROR_BROKEN_PIPE) || m.endsWith(" " + Win32Pipes.ERROR_OPERATION_ABORTED)
                    || m.endsWith(" " + Win32Pipes.ERROR_PIPE_NOT_CONNECTED);
        }

        @Override
        public InputStream input() {
            return in;
        }

        @Override
        public OutputStream output() {
            return out;
        }

        /** Cancels pending reads and writes, then releases the handle. Idempotent. */
        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) return;
            Libs.K32.CancelIoEx(h, null);
            if (server) Libs.K32.DisconnectNamedPipe(h);
            synchronized (in) {
                synchronized (out) {
                    Libs.K32.CloseHandle(h);
                    readOv.close();
                    writeOv.close();
                }
            }
        }
    }

    /**
     * A pipe server that always keeps {@code instances} instances waiting in ConnectNamedPipe,
     * creating the next one before handing a connected one out, so a burst of clients never
     * meets ERROR_PIPE_BUSY.
     */
    public static final class Server implements AutoCloseable, PipeBridge.Acceptor {
        private final String path;
        private final WinBase.SECURITY_ATTRIBUTES sa; // kept alive: every instance reuses it
        private final Pointer sd;
        private final LinkedBlockingQueue<Object> accepted = new LinkedBlockingQueue<>();
        private final List<Thread> listeners = new ArrayList<>();
        private final List<WinNT.HANDLE> waiting = new ArrayList<>();
        private final AtomicBoolean closed = new AtomicBoolean();
        private boolean first = true;

        public static Server listen(String path, String sddl, int instances) throws IOException {
            return new Server(path, sddl, instances);
        }

        private Server(String path, String sddl, int instances) throws IOException {
            this.path = PipeSecurity.checkPath(path);
            PointerByReference psd = new PointerByReference();
            try {
                Libs.ADV.ConvertStringSecurityDescriptorToSecurityDescriptorW(Win32Pipes.wide(sddl),
                        Win32Pipes.SDDL_REVISION_1, psd, null);
            } catch (com.sun.jna.LastErrorException e) {
                throw new IOException("invalid security descriptor " + sddl + ": win32 error " + e.getErrorCode(), e);
            }
            sd = psd.getValue();
            sa = new WinBase.SECURITY_ATTRIBUTES();
            sa.dwLength = new com.sun.jna.platform.win32.WinDef.DWORD(sa.size());
            sa.lpSecurityDescriptor = sd;
            sa.bInheritHandle = false;
            sa.write();
            // the first instance is created here so a name clash fails listen, not a background thread
            WinNT.HANDLE firstHandle = newInstance();
            for (int i = 0; i < Math.max(1, instances); i++) {
                WinNT.HANDLE h0 = i == 0 ? firstHandle : null;
                listeners.add(Thread.ofPlatform().daemon().name("npipe-listen-" + i).start(() -> listenLoop(h0)));
            }
        }

        private synchronized WinNT.HANDLE newInstance() throws IOException {
            int mode = Win32Pipes.PIPE_ACCESS_DUPLEX | Win32Pipes.FILE_FLAG_OVERLAPPED
                    | (first ? Win32Pipes.FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
            first = false;
            try {
                WinNT.HANDLE h = Libs.K32.CreateNamedPipeW(Win32Pipes.wide(path), mode,
                        Win32Pipes.PIPE_TYPE_BYTE | Win32Pipes.PIPE_READMODE_BYTE | Win32Pipes.PIPE_WAIT
                                | Win32Pipes.PIPE_REJECT_REMOTE_CLIENTS,
                        Win32Pipes.PIPE_UNLIMITED_INSTANCES, 65536, 65536, 0, sa);
                if (h == null || WinBase.INVALID_HANDLE_VALUE.equals(h)) throw win32("CreateNamedPipe", Native.getLastError());
                return h;
            } catch (com.sun.jna.LastErrorException e) {
                throw win32("CreateNamedPipe " + path, e.getErrorCode());
            }
        }

        private void listenLoop(WinNT.HANDLE initial) {
            WinNT.HANDLE h = initial;
            try (Overlapped ov = new Overlapped()) {
                while (!closed.get()) {
                    if (h == null) h = newInstance();
                    synchronized (waiting) {
                        waiting.add(h);
                    }
                    WinNT.HANDLE cur = h;
                    try {
                        await(cur, ov, o -> Libs.K32.ConnectNamedPipe(cur, o), "ConnectNamedPipe",
                                Win32Pipes.ERROR_PIPE_CONNECTED);
                    } finally {
                        synchronized (waiting) {
                            waiting.remove(cur);
                        }
                    }
                    h = newInstance(); // replace before handing out
                    accepted.add(new Connection(cur, true));
                }
            } catch (IOException e) {
                if (!closed.get()) accepted.add(e);
            } finally {
                if (h != null && closed.get()) Libs.K32.CloseHandle(h);
            }
        }

        public String path() {
            return path;
        }

        /** Blocks for the next client. */
        @Override
        public Connection accept() throws IOException, InterruptedException {
            Object o = accepted.take();
            if (o instanceof IOException e) throw e;
            if (o == this) {
                accepted.add(this); // keep waking other acceptors
                throw new IOException("pipe server closed");
            }
            return (Connection) o;
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) return;
            synchronized (waiting) {
                for (WinNT.HANDLE h : waiting) Libs.K32.CancelIoEx(h, null);
            }
            for (Thread t : listeners) {
                try {
                    t.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            accepted.add(this);
            Libs.LOCAL.LocalFree(sd);
        }
    }

    /** Opens a client connection, waiting while every instance is busy. */
    public static Connection dial(String path, long timeoutMs) throws IOException {
        PipeSecurity.checkPath(path);
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            WinNT.HANDLE h = Libs.K32.CreateFileW(Win32Pipes.wide(path), Win32Pipes.GENERIC_READ | Win32Pipes.GENERIC_WRITE,
                    0, null, Win32Pipes.OPEN_EXISTING,
                    Win32Pipes.FILE_FLAG_OVERLAPPED | Win32Pipes.SECURITY_SQOS_PRESENT | Win32Pipes.SECURITY_ANONYMOUS, null);
            if (h != null && !WinBase.INVALID_HANDLE_VALUE.equals(h)) return new Connection(h, false);
            int err = Native.getLastError();
            long left = deadline - System.currentTimeMillis();
            if (err != Win32Pipes.ERROR_PIPE_BUSY || left <= 0) {
                if (err == Win32Pipes.ERROR_FILE_NOT_FOUND) throw new java.io.FileNotFoundException(path);
                throw win32("open " + path, err);
            }
            Libs.K32.WaitNamedPipeW(Win32Pipes.wide(path), (int) Math.min(left, 1000));
            if (Thread.interrupted()) throw new InterruptedIOException("dial " + path);
        }
    }

    /** runhcs' dialer over real named pipes. */
    public static final PipeDialer DIALER = p -> dial(p, 5000);
}
