package dev.hcsshim.windows;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicBoolean;

/** Blocking streams over Win32 handles (process stdio pipes), closed at most once. */
final class HandleStreams {
    private HandleStreams() {}

    static InputStream in(Pointer h) {
        return h == null ? null : new In(h);
    }

    static OutputStream out(Pointer h) {
        return h == null ? null : new Out(h);
    }

    private static final class In extends InputStream {
        private final Pointer h;
        private final AtomicBoolean closed = new AtomicBoolean();
        private byte[] buf = new byte[0];

        In(Pointer h) {
            this.h = h;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            if (closed.get()) return -1;
            if (buf.length < len) buf = new byte[Math.min(Math.max(len, 4096), 1 << 20)];
            int n = Math.min(len, buf.length);
            IntByReference got = new IntByReference();
            try {
                Natives.kernel32().ReadFile(h, buf, n, got, null);
            } catch (LastErrorException e) {
                int code = e.getErrorCode();
                // a closed writer or our own cancel/close is end of stream, as in go-winio
                if (code == Kernel32Io.ERROR_BROKEN_PIPE || code == Kernel32Io.ERROR_OPERATION_ABORTED
                        || code == Kernel32Io.ERROR_PIPE_NOT_CONNECTED || closed.get()) return -1;
                throw new IOException("ReadFile: win32 error " + code, e);
            }
            int r = got.getValue();
            if (r == 0) return -1;
            System.arraycopy(buf, 0, b, off, r);
            return r;
        }

        @Override
        public void close() throws IOException {
            if (!closed.compareAndSet(false, true)) return;
            try {
                Natives.kernel32().CancelIoEx(h, null); // unblocks a reader parked in ReadFile
            } catch (LastErrorException ignored) {
                // nothing was pending
            }
            try {
                Natives.kernel32().CloseHandle(h);
            } catch (LastErrorException e) {
                throw new IOException("CloseHandle: win32 error " + e.getErrorCode(), e);
            }
        }
    }

    private static final class Out extends OutputStream {
        private final Pointer h;
        private final AtomicBoolean closed = new AtomicBoolean();

        Out(Pointer h) {
            this.h = h;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (closed.get()) throw new IOException("stream closed");
            byte[] chunk = off == 0 ? b : java.util.Arrays.copyOfRange(b, off, off + len);
            int done = 0;
            while (done < len) {
                byte[] part = done == 0 ? chunk : java.util.Arrays.copyOfRange(chunk, done, len);
                IntByReference put = new IntByReference();
                try {
                    Natives.kernel32().WriteFile(h, part, len - done, put, null);
                } catch (LastErrorException e) {
                    throw new IOException("WriteFile: win32 error " + e.getErrorCode(), e);
                }
                done += put.getValue();
            }
        }

        @Override
        public void close() throws IOException {
            if (!closed.compareAndSet(false, true)) return;
            try {
                Natives.kernel32().CloseHandle(h);
            } catch (LastErrorException e) {
                throw new IOException("CloseHandle: win32 error " + e.getErrorCode(), e);
            }
        }
    }
}
