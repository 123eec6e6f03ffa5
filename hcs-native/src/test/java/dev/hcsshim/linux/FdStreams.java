package dev.hcsshim.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Test helper: java.io streams over a raw fd that the caller keeps owning (closing the stream does not close
 * the fd). Work with blocking and O_NONBLOCK fds alike (EAGAIN waits in poll). A pty master's
 * EIO reads as end-of-file.
 */
final class FdStreams {
    private static final LibC C = LibC.INSTANCE;

    private FdStreams() {}

    static InputStream input(int fd) {
        return new InputStream() {
            private final Memory buf = new Memory(8192);
            private volatile boolean closed;

            @Override
            public int read() throws IOException {
                byte[] b = new byte[1];
                int n = read(b, 0, 1);
                return n < 0 ? -1 : b[0] & 0xff;
            }

            @Override
            public synchronized int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) return 0;
                while (true) {
                    if (closed) throw new IOException("stream closed");
                    try {
                        long n = C.read(fd, buf, Math.min(len, buf.size()));
                        if (n == 0) return -1;
                        buf.read(0, b, off, (int) n);
                        return (int) n;
                    } catch (LastErrorException e) {
                        if (e.getErrorCode() == LibC.EIO) return -1;
                        if (e.getErrorCode() == LibC.EAGAIN) {
                            Fds.poll(new int[] {fd}, new short[] {LibC.POLLIN}, 200);
                        } else if (e.getErrorCode() != LibC.EINTR) {
                            throw Fds.io("read", e);
                        }
                    }
                }
            }

            @Override
            public void close() {
                closed = true;
            }
        };
    }

    static OutputStream output(int fd) {
        return new OutputStream() {
            private final Memory buf = new Memory(8192);
            private volatile boolean closed;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    if (closed) throw new IOException("stream closed");
                    int chunk = (int) Math.min(len, buf.size());
                    buf.write(0, b, off, chunk);
                    int done = 0;
                    while (done < chunk) {
                        try {
                            done += (int) C.write(fd, buf.share(done), chunk - done);
                        } catch (LastErrorException e) {
                            if (e.getErrorCode() == LibC.EAGAIN) {
                                Fds.poll(new int[] {fd}, new short[] {LibC.POLLOUT}, 200);
                            } else if (e.getErrorCode() != LibC.EINTR) {
                                throw Fds.io("write", e);
                            }
                        }
                    }
                    off += chunk;
                    len -= chunk;
                }
            }

            @Override
            public void close() {
                closed = true;
            }
        };
    }
}
