package dev.hcsshim.hcsoci;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** An in-memory pipe whose reader is woken by either end closing (like a cancelled pipe read). */
final class MemPipe {
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private int pos;
    private boolean writerClosed;
    private boolean readerClosed;

    final InputStream in = new InputStream() {
        @Override
        public int read() throws IOException {
            byte[] b = new byte[1];
            return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            synchronized (MemPipe.this) {
                while (pos == buf.size() && !writerClosed && !readerClosed) {
                    try {
                        MemPipe.this.wait();
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                }
                if (readerClosed) throw new IOException("file already closed");
                if (pos == buf.size()) return -1;
                byte[] all = buf.toByteArray();
                int n = Math.min(len, all.length - pos);
                System.arraycopy(all, pos, b, off, n);
                pos += n;
                return n;
            }
        }

        @Override
        public void close() {
            synchronized (MemPipe.this) {
                readerClosed = true;
                MemPipe.this.notifyAll();
            }
        }
    };

    final OutputStream out = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            synchronized (MemPipe.this) {
                if (writerClosed || readerClosed) throw new IOException("broken pipe");
                buf.write(b, off, len);
                MemPipe.this.notifyAll();
            }
        }

        @Override
        public void close() {
            synchronized (MemPipe.this) {
                writerClosed = true;
                MemPipe.this.notifyAll();
            }
        }
    };
}
