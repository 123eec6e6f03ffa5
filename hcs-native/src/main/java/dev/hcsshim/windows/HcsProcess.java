package dev.hcsshim.windows;

import com.sun.jna.WString;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import dev.hcsshim.cow.Process;
import dev.hcsshim.hcs.Errno;
import dev.hcsshim.hcs.ErrorEvent;
import dev.hcsshim.hcs.Hcs;
import dev.hcsshim.hcs.HcsResult;
import dev.hcsshim.hcs.ProcessError;
import dev.hcsshim.windows.schema.CloseHandle;
import dev.hcsshim.windows.schema.ConsoleSize;
import dev.hcsshim.windows.schema.ProcessModifyRequest;
import dev.hcsshim.windows.schema.ProcessStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/** A process in an HCS compute system (hcsshim's hcs.Process). */
public final class HcsProcess implements Process {
    private final HcsSystem system;
    private final int pid;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private Pointer handle;
    private Pointer callbackHandle;
    private final NotificationWatcher watcher = new NotificationWatcher(Notification.PROCESS_EXITED);
    private final CompletableFuture<Void> exited = new CompletableFuture<>();
    private volatile int exitCode = -1;
    private volatile IOException waitError;
    private volatile OutputStream stdin;
    private volatile InputStream stdout;
    private volatile InputStream stderr;

    private HcsProcess(HcsSystem system, Pointer handle, int pid) {
        this.system = system;
        this.handle = handle;
        this.pid = pid;
    }

    static HcsProcess started(HcsSystem system, Pointer handle, int pid, Pointer in, Pointer out, Pointer err)
            throws IOException {
        HcsProcess p = new HcsProcess(system, handle, pid);
        p.stdin = HandleStreams.out(in);
        p.stdout = HandleStreams.in(out);
        p.stderr = HandleStreams.in(err);
        PointerByReference cb = new PointerByReference();
        Throwable e = HcsCalls.error(Natives.vmcompute()
                .HcsRegisterProcessCallback(handle, NotificationWatcher.CALLBACK, p.watcher.context(), cb));
        if (e != null) {
            p.close();
            throw ProcessError.of(system.id(), pid, "hcs::Process::registerCallback", e, null);
        }
        p.callbackHandle = cb.getValue();
        p.startWaitBackground();
        return p;
    }

    public String systemId() {
        return system.id();
    }

    @Override
    public int pid() {
        return pid;
    }

    private IOException error(String op, Throwable err, List<ErrorEvent> events) {
        return ProcessError.of(system.id(), pid, op, err, events);
    }

    private void startWaitBackground() {
        Thread.ofVirtual().name("hcs-process-wait-" + pid).start(() -> {
            String op = "hcs::Process::waitBackground";
            IOException err = null;
            int code = -1;
            Throwable n;
            try {
                n = watcher.await(Notification.PROCESS_EXITED, null);
            } catch (InterruptedException e) {
                n = e;
            }
            if (n != null) {
                err = error(op, n, null);
            } else {
                lock.readLock().lock();
                try {
                    if (handle != null) { // lost the race with close otherwise
                        PointerByReference props = new PointerByReference();
                        PointerByReference result = new PointerByReference();
                        int hr = Natives.vmcompute().HcsGetProcessProperties(handle, props, result);
                        String json = HcsCalls.take(props);
                        List<ErrorEvent> events = HcsResult.events(HcsCalls.take(result));
                        Throwable e = HcsCalls.error(hr);
                        if (e != null) {
                            err = error(op, e, events);
                        } else {
                            try {
                                ProcessStatus st = HcsCalls.JSON.readValue(json, ProcessStatus.class);
                                if (st.lastWaitResult() != null && st.lastWaitResult() != 0) {
                                    err = error(op, new Errno(st.lastWaitResult()), null);
                                } else if (st.exitCode() != null) {
                                    code = st.exitCode().intValue();
                                }
                            } catch (IOException | IllegalArgumentException e2) {
                                err = error(op, e2, null);
                            }
                        }
                    }
                } finally {
                    lock.readLock().unlock();
                }
            }
            finishWait(code, err);
        });
    }

    private void finishWait(int code, IOException err) {
        synchronized (exited) {
            if (exited.isDone()) return;
            exitCode = code;
            waitError = err;
            if (err == null) exited.complete(null);
            else exited.completeExceptionally(err);
        }
    }

    private boolean stopped() {
        return exited.isDone();
    }

    @FunctionalInterface
    private interface HandleCall {
        int call(Pointer h, PointerByReference result);
    }

    private Throwable call(String op, HandleCall c, List<ErrorEvent>[] events) throws IOException {
        lock.readLock().lock();
        try {
            if (handle == null) throw error(op, Hcs.ERR_ALREADY_CLOSED, null);
            PointerByReference result = new PointerByReference();
            int hr = c.call(handle, result);
            events[0] = HcsResult.events(HcsCalls.take(result));
            return HcsCalls.error(hr);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** hcsshim's processSignalResult: states meaning "already gone" are not failures. */
    private boolean signalResult(Throwable err) throws IOException {
        if (err == null) return true;
        if (Hcs.isOperationInvalidState(err) || Hcs.ERR_COMPUTE_SYSTEM_DOES_NOT_EXIST.equals(err)
                || Hcs.ERR_ELEMENT_NOT_FOUND.equals(err)) {
            return false;
        }
        throw (err instanceof IOException io) ? io : new IOException(err);
    }

    @Override
    @SuppressWarnings("unchecked")
    public boolean kill() throws IOException {
        String op = "hcs::Process::Kill";
        if (handle == null) throw error(op, Hcs.ERR_ALREADY_CLOSED, null);
        if (stopped()) throw error(op, Hcs.ERR_PROCESS_ALREADY_STOPPED, null);
        List<ErrorEvent>[] events = new List[1];
        Throwable err = call(op, (h, r) -> Natives.vmcompute().HcsTerminateProcess(h, r), events);
        // killed by someone else meanwhile: the goal is reached
        if (err != null && (Hcs.isAccessIsDenied(err) || Hcs.isAlreadyStopped(err))) return true;
        try {
            return signalResult(err);
        } catch (IOException e) {
            throw error(op, err, events[0]);
        }
    }

    /** Options are a SignalProcessOptionsWCOW/LCOW document (or its JSON). */
    @Override
    @SuppressWarnings("unchecked")
    public boolean signal(Object options) throws IOException {
        String op = "hcs::Process::Signal";
        String json = HcsCalls.toJson(options);
        List<ErrorEvent>[] events = new List[1];
        Throwable err = call(op, (h, r) -> Natives.vmcompute().HcsSignalProcess(h, new WString(json), r), events);
        try {
            return signalResult(err);
        } catch (IOException e) {
            throw error(op, err, events[0]);
        }
    }

    @SuppressWarnings("unchecked")
    private void modify(String op, ProcessModifyRequest req) throws IOException {
        String json = HcsCalls.toJson(req);
        List<ErrorEvent>[] events = new List[1];
        Throwable err = call(op, (h, r) -> Natives.vmcompute().HcsModifyProcess(h, new WString(json), r), events);
        if (err != null) throw error(op, err, events[0]);
    }

    @Override
    public void resizeConsole(int width, int height) throws IOException {
        modify("hcs::Process::ResizeConsole",
                new ProcessModifyRequest("ConsoleSize", new ConsoleSize(height, width), null));
    }

    @Override
    public void closeStdin() throws IOException {
        String op = "hcs::Process::CloseStdin";
        if (handle == null) throw error(op, Hcs.ERR_ALREADY_CLOSED, null);
        OutputStream in = stdin;
        if (in == null) return;
        modify(op, new ProcessModifyRequest("CloseHandle", null, new CloseHandle("StdIn")));
        stdin = null;
        in.close();
    }

    @Override
    public void closeStdout() throws IOException {
        if (handle == null) throw error("hcs::Process::CloseStdout", Hcs.ERR_ALREADY_CLOSED, null);
        InputStream s = stdout;
        if (s != null) s.close(); // the stream stays: readers see end of file
    }

    @Override
    public void closeStderr() throws IOException {
        if (handle == null) throw error("hcs::Process::CloseStderr", Hcs.ERR_ALREADY_CLOSED, null);
        InputStream s = stderr;
        if (s != null) s.close();
    }

    @Override
    public OutputStream stdin() {
        return stdin;
    }

    @Override
    public InputStream stdout() {
        return stdout;
    }

    @Override
    public InputStream stderr() {
        return stderr;
    }

    @Override
    public void waitFor() throws IOException, InterruptedException {
        try {
            exited.get();
        } catch (ExecutionException e) {
            throw (IOException) e.getCause();
        }
    }

    @Override
    public CompletionStage<Void> exited() {
        return exited.copy();
    }

    @Override
    public int exitCode() throws IOException {
        String op = "hcs::Process::ExitCode";
        if (!stopped()) throw error(op, Hcs.ERR_INVALID_PROCESS_STATE, null);
        if (waitError != null) throw waitError;
        return exitCode;
    }

    /** Closes stdio and the handle without killing the process; waiters see ErrAlreadyClosed. Idempotent. */
    @Override
    public void close() throws IOException {
        String op = "hcs::Process::Close";
        lock.writeLock().lock();
        try {
            if (handle == null) {
                watcher.close();
                return;
            }
            for (AutoCloseable c : new AutoCloseable[] {stdin, stdout, stderr}) {
                try {
                    if (c != null) c.close();
                } catch (Exception ignored) {
                    // stdio is best effort; the handle matters
                }
            }
            IOException first = null;
            if (callbackHandle != null) {
                Throwable err = HcsCalls.error(Natives.vmcompute().HcsUnregisterProcessCallback(callbackHandle));
                callbackHandle = null;
                if (err != null) first = error(op, err, null);
            }
            finishWait(-1, error("hcs::Process::Wait", Hcs.ERR_ALREADY_CLOSED, null));
            watcher.close();
            Throwable err = HcsCalls.error(Natives.vmcompute().HcsCloseProcess(handle));
            handle = null;
            if (err != null && first == null) first = error(op, err, null);
            if (first != null) throw first;
        } finally {
            lock.writeLock().unlock();
        }
    }
}
