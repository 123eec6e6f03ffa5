package dev.hcsshim.windows;

import com.sun.jna.WString;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import dev.hcsshim.cow.Container;
import dev.hcsshim.hcs.ErrorEvent;
import dev.hcsshim.hcs.Hcs;
import dev.hcsshim.hcs.HcsError;
import dev.hcsshim.hcs.HcsResult;
import dev.hcsshim.hcs.SystemError;
import dev.hcsshim.windows.schema.ComputeSystemQuery;
import dev.hcsshim.windows.schema.ContainerProperties;
import dev.hcsshim.windows.schema.ModificationRequest;
import dev.hcsshim.windows.schema.Properties;
import dev.hcsshim.windows.schema.PropertyQuery;
import dev.hcsshim.windows.schema.Schema1PropertyQuery;
import dev.hcsshim.windows.schema.ServiceProperties;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An HCS compute system (hcsshim's hcs.System). Native calls run under a read lock so
 * {@link #close()} never frees the handle under a call; pending-operation waits run outside it
 * so close can end them.
 */
public final class HcsSystem implements Container {
    private final String id;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private Pointer handle;
    private Pointer callbackHandle;
    private final NotificationWatcher watcher = new NotificationWatcher(Notification.SYSTEM_EXITED);
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private volatile IOException waitError;
    private volatile IOException exitError;
    private volatile String os = "windows";
    private volatile String systemType = "";

    private HcsSystem(String id) {
        this.id = id;
    }

    /** Creates (but does not start) a compute system; the document is a schema object or JSON text. */
    public static HcsSystem createComputeSystem(String id, Object document) throws IOException {
        String op = "hcs::CreateComputeSystem";
        HcsSystem s = new HcsSystem(id);
        PointerByReference h = new PointerByReference();
        PointerByReference result = new PointerByReference();
        int hr = Natives.vmcompute().HcsCreateComputeSystem(new WString(id), new WString(HcsCalls.toJson(document)), null, h,
                result);
        List<ErrorEvent> events = HcsResult.events(HcsCalls.take(result));
        Throwable err = HcsCalls.error(hr);
        if (h.getValue() != null) {
            s.handle = h.getValue();
            try {
                s.registerCallback();
            } catch (IOException e) {
                s.close();
                throw SystemError.of(id, op, e, null);
            }
        }
        if (err != null && Hcs.isPending(err)) {
            err = s.awaitPending(Notification.SYSTEM_CREATE_COMPLETED, HcsTimeouts.systemCreate);
            if (err instanceof HcsError he) events = he.events();
        }
        if (err != null) {
            if (err == Hcs.ERR_TIMEOUT && s.handle != null) {
                try {
                    s.terminate();
                } catch (IOException ignored) {
                    // best effort, as hcsshim
                }
            }
            s.close();
            throw SystemError.of(id, op, err, events);
        }
        s.startWaitBackground();
        try {
            s.cacheProperties();
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** Opens an existing compute system by id. */
    public static HcsSystem openComputeSystem(String id) throws IOException {
        String op = "hcs::OpenComputeSystem";
        HcsSystem s = new HcsSystem(id);
        PointerByReference h = new PointerByReference();
        PointerByReference result = new PointerByReference();
        int hr = Natives.vmcompute().HcsOpenComputeSystem(new WString(id), h, result);
        List<ErrorEvent> events = HcsResult.events(HcsCalls.take(result));
        Throwable err = HcsCalls.error(hr);
        if (err != null) throw SystemError.of(id, op, err, events);
        s.handle = h.getValue();
        try {
            s.registerCallback();
            s.startWaitBackground();
            s.cacheProperties();
        } catch (IOException e) {
            s.close();
            throw SystemError.of(id, op, e, null);
        }
        return s;
    }

    /** Lists compute systems matching a schema1 query. */
    public static List<ContainerProperties> getComputeSystems(ComputeSystemQuery q) throws IOException {
        PointerByReference out = new PointerByReference();
        PointerByReference result = new PointerByReference();
        int hr = Natives.vmcompute().HcsEnumerateComputeSystems(new WString(HcsCalls.toJson(q)), out, result);
        String json = HcsCalls.take(out);
        List<ErrorEvent> events = HcsResult.events(HcsCalls.take(result));
        Throwable err = HcsCalls.error(hr);
        if (err != null) throw new HcsError("hcs::GetComputeSystems", err, events);
        if (json == null || json.isEmpty()) return List.of();
        return Arrays.asList(HcsCalls.JSON.readValue(json, ContainerProperties[].class));
    }

    public static ServiceProperties getServiceProperties(PropertyQuery q) throws IOException {
        PointerByReference out = new PointerByReference();
        PointerByReference result = new PointerByReference();
        int hr = Natives.vmcompute().HcsGetServiceProperties(new WString(HcsCalls.toJson(q)), out, result);
        String json = HcsCalls.take(out);
        List<ErrorEvent> events = HcsResult.events(HcsCalls.take(result));
        Throwable err = HcsCalls.error(hr);
        if (err != null) throw new HcsError("hcs::GetServiceProperties", err, events);
        if (json == null || json.isEmpty()) throw new HcsError("hcs::GetServiceProperties", Hcs.ERR_UNEXPECTED_VALUE, null);
        return HcsCalls.JSON.readValue(json, ServiceProperties.class);
    }

    public static void modifyServiceSettings(ModificationRequest settings) throws IOException {
        PointerByReference result = new PointerByReference();
        int hr = Natives.vmcompute().HcsModifyServiceSettings(new WString(HcsCalls.toJson(settings)), result);
        List<ErrorEvent> events = HcsResult.events(HcsCalls.take(result));
        Throwable err = HcsCalls.error(hr);
        if (err != null) throw new HcsError("hcs::ModifyServiceSettings", err, events);
    }

    private void registerCallback() throws IOException {
        PointerByReference cb = new PointerByReference();
        Throwable err = HcsCalls.error(Natives.vmcompute()
                .HcsRegisterComputeSystemCallback(handle, NotificationWatcher.CALLBACK, watcher.context(), cb));
        if (err != null) throw (IOException) err;
        callbackHandle = cb.getValue();
    }

    private Throwable awaitPending(int type, Duration timeout) throws IOException {
        try {
            return watcher.await(type, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for HCS notification");
        }
    }

    private void startWaitBackground() {
        Thread.ofVirtual().name("hcs-system-wait-" + id).start(() -> {
            Throwable err;
            try {
                err = watcher.await(Notification.SYSTEM_EXITED, null);
            } catch (InterruptedException e) {
                err = e;
            }
            IOException werr = null;
            if (err != null && Hcs.ERR_VMCOMPUTE_UNEXPECTED_EXIT.equals(rootErrno(err))) {
                exitError = SystemError.of(id, "hcs::System::waitBackground", err, null);
            } else if (err != null) {
                werr = SystemError.of(id, "hcs::System::waitBackground", err, null);
            }
            finishWait(werr);
        });
    }

    private static Throwable rootErrno(Throwable t) {
        return t instanceof HcsError he ? he.err() : t;
    }

    private void finishWait(IOException err) {
        synchronized (stopped) {
            if (stopped.isDone()) return;
            waitError = err;
            if (err == null) stopped.complete(null);
            else stopped.completeExceptionally(err);
        }
    }

    private void cacheProperties() throws IOException {
        Properties p = query("hcs::System::getCachedProperties", "{}", Properties.class);
        if (p.runtimeOsType() != null && !p.runtimeOsType().isEmpty()) os = p.runtimeOsType().toLowerCase(Locale.ROOT);
        if (p.systemType() != null) systemType = p.systemType();
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String os() {
        return os;
    }

    /** Linux containers take OCI process specs; everything else takes HCS process parameters. */
    @Override
    public boolean isOci() {
        return "linux".equals(os) && "container".equalsIgnoreCase(systemType);
    }

    @FunctionalInterface
    private interface HandleCall {
        int call(Pointer h, PointerByReference result);
    }

    /** Runs a call on the live handle; returns [error, events] or throws ErrAlreadyClosed. */
    private Throwable[] invoke(String op, HandleCall c, List<ErrorEvent>[] events) throws IOException {
        lock.readLock().lock();
        try {
            if (handle == null) throw SystemError.of(id, op, Hcs.ERR_ALREADY_CLOSED, null);
            PointerByReference result = new PointerByReference();
            int hr = c.call(handle, result);
            events[0] = HcsResult.events(HcsCalls.take(result));
            return new Throwable[] {HcsCalls.error(hr)};
        } finally {
            lock.readLock().unlock();
        }
    }

    /** An operation HCS may complete asynchronously: a pending answer waits for its notification. */
    @SuppressWarnings("unchecked")
    private void asyncOp(String op, HandleCall c, int completion, Duration timeout) throws IOException {
        List<ErrorEvent>[] events = new List[1];
        Throwable err = invoke(op, c, events)[0];
        if (err != null && Hcs.isPending(err)) {
            err = awaitPending(completion, timeout);
            if (err instanceof HcsError he) events[0] = he.events();
        }
        if (err != null) throw SystemError.of(id, op, err, events[0]);
    }

    @Override
    public void start() throws IOException {
        asyncOp("hcs::System::Start", (h, r) -> Natives.vmcompute().HcsStartComputeSystem(h, null, r),
                Notification.SYSTEM_START_COMPLETED, HcsTimeouts.systemStart);
    }

    public void pause() throws IOException {
        asyncOp("hcs::System::Pause", (h, r) -> Natives.vmcompute().HcsPauseComputeSystem(h, null, r),
                Notification.SYSTEM_PAUSE_COMPLETED, HcsTimeouts.systemPause);
    }

    public void resume() throws IOException {
        asyncOp("hcs::System::Resume", (h, r) -> Natives.vmcompute().HcsResumeComputeSystem(h, null, r),
                Notification.SYSTEM_RESUME_COMPLETED, HcsTimeouts.systemResume);
    }

    public void save(Object options) throws IOException {
        String json = HcsCalls.toJson(options);
        asyncOp("hcs::System::Save", (h, r) -> Natives.vmcompute().HcsSaveComputeSystem(h, new WString(json), r),
                Notification.SYSTEM_SAVE_COMPLETED, HcsTimeouts.systemSave);
    }

    /** Shutdown and terminate do not wait: pending and already-stopped are success. */
    @SuppressWarnings("unchecked")
    private void stopOp(String op, HandleCall c) throws IOException {
        List<ErrorEvent>[] events = new List[1];
        Throwable err = invoke(op, c, events)[0];
        if (err != null && !Hcs.isAlreadyStopped(err) && !Hcs.isPending(err)) {
            throw SystemError.of(id, op, err, events[0]);
        }
    }

    @Override
    public void shutdown() throws IOException {
        stopOp("hcs::System::Shutdown", (h, r) -> Natives.vmcompute().HcsShutdownComputeSystem(h, null, r));
    }

    @Override
    public void terminate() throws IOException {
        stopOp("hcs::System::Terminate", (h, r) -> Natives.vmcompute().HcsTerminateComputeSystem(h, null, r));
    }

    @Override
    @SuppressWarnings("unchecked")
    public void modify(Object config) throws IOException {
        String json = HcsCalls.toJson(config);
        List<ErrorEvent>[] events = new List[1];
        Throwable err = invoke("hcs::System::Modify",
                (h, r) -> Natives.vmcompute().HcsModifyComputeSystem(h, new WString(json), r), events)[0];
        if (err != null) throw SystemError.of(id, "hcs::System::Modify", err, events[0]);
    }

    private <T> T query(String op, String queryJson, Class<T> type) throws IOException {
        String[] props = new String[1];
        @SuppressWarnings("unchecked")
        List<ErrorEvent>[] events = new List[1];
        Throwable err = invoke(op, (h, r) -> {
            PointerByReference out = new PointerByReference();
            int hr = Natives.vmcompute().HcsGetComputeSystemProperties(h, new WString(queryJson), out, r);
            props[0] = HcsCalls.take(out);
            return hr;
        }, events)[0];
        if (err != null) throw SystemError.of(id, op, err, events[0]);
        if (props[0] == null || props[0].isEmpty()) throw SystemError.of(id, op, Hcs.ERR_UNEXPECTED_VALUE, null);
        try {
            return HcsCalls.JSON.readValue(props[0], type);
        } catch (IOException e) {
            throw SystemError.of(id, op, e, null);
        }
    }

    @Override
    public ContainerProperties properties(String... propertyTypes) throws IOException {
        return query("hcs::System::Properties",
                HcsCalls.toJson(new Schema1PropertyQuery(List.of(propertyTypes))), ContainerProperties.class);
    }

    @Override
    public Properties propertiesV2(String... propertyTypes) throws IOException {
        return query("hcs::System::PropertiesV2",
                HcsCalls.toJson(new PropertyQuery(List.of(propertyTypes))), Properties.class);
    }

    @Override
    public HcsProcess createProcess(Object config) throws IOException {
        String op = "hcs::System::CreateProcess";
        String json = HcsCalls.toJson(config);
        lock.readLock().lock();
        try {
            if (handle == null) throw SystemError.of(id, op, Hcs.ERR_ALREADY_CLOSED, null);
            Vmcompute.ProcessInformation info = new Vmcompute.ProcessInformation();
            PointerByReference p = new PointerByReference();
            PointerByReference result = new PointerByReference();
            int hr = Natives.vmcompute().HcsCreateProcess(handle, new WString(json), info, p, result);
            List<ErrorEvent> events = HcsResult.events(HcsCalls.take(result));
            Throwable err = HcsCalls.error(hr);
            if (err != null) throw SystemError.of(id, op, err, events);
            info.read();
            return HcsProcess.started(this, p.getValue(), info.ProcessId, info.StdInput, info.StdOutput, info.StdError);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Opens a process already running in this system (no stdio). */
    public HcsProcess openProcess(int pid) throws IOException {
        String op = "hcs::System::OpenProcess";
        lock.readLock().lock();
        try {
            if (handle == null) throw SystemError.of(id, op, Hcs.ERR_ALREADY_CLOSED, null);
            PointerByReference p = new PointerByReference();
            PointerByReference result = new PointerByReference();
            int hr = Natives.vmcompute().HcsOpenProcess(handle, pid, p, result);
            List<ErrorEvent> events = HcsResult.events(HcsCalls.take(result));
            Throwable err = HcsCalls.error(hr);
            if (err != null) throw SystemError.of(id, op, err, events);
            return HcsProcess.started(this, p.getValue(), pid, null, null, null);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void waitFor() throws IOException, InterruptedException {
        try {
            stopped.get();
        } catch (ExecutionException e) {
            throw (IOException) e.getCause();
        }
    }

    @Override
    public CompletionStage<Void> stopped() {
        return stopped.copy();
    }

    @Override
    public IOException waitError() {
        return waitError;
    }

    /** Why the system stopped when HCS reported an unexpected exit; null otherwise. */
    public IOException exitError() {
        return exitError;
    }

    /** Releases the handle without terminating the system; waiters see ErrAlreadyClosed. Idempotent. */
    @Override
    public void close() throws IOException {
        String op = "hcs::System::Close";
        lock.writeLock().lock();
        try {
            if (handle == null) {
                watcher.close();
                return;
            }
            IOException first = null;
            if (callbackHandle != null) {
                Throwable err = HcsCalls.error(Natives.vmcompute().HcsUnregisterComputeSystemCallback(callbackHandle));
                callbackHandle = null;
                if (err != null) first = SystemError.of(id, op, err, null);
            }
            // waiters learn of the close before the watcher wakes the background wait
            finishWait(SystemError.of(id, "hcs::System::Wait", Hcs.ERR_ALREADY_CLOSED, null));
            watcher.close();
            Throwable err = HcsCalls.error(Natives.vmcompute().HcsCloseComputeSystem(handle));
            handle = null;
            if (err != null && first == null) first = SystemError.of(id, op, err, null);
            if (first != null) throw first;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** For the HCS JSON tree the caller wants untyped. */
    static JsonNode tree(String json) throws IOException {
        return HcsCalls.JSON.readTree(json);
    }
}
