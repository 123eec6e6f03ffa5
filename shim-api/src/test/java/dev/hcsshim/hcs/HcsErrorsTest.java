package dev.hcsshim.hcs;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HcsErrorsTest {

    @Test
    void sentinelCodesMatchHcsshim() {
        assertEquals(0xc037010eL, Hcs.ERR_COMPUTE_SYSTEM_DOES_NOT_EXIST.code());
        assertEquals(0x490, Hcs.ERR_ELEMENT_NOT_FOUND.code());
        assertEquals(0x32, Hcs.ERR_NOT_SUPPORTED.code());
        assertEquals(0xd, Hcs.ERR_INVALID_DATA.code());
        assertEquals(0xc0370110L, Hcs.ERR_VMCOMPUTE_ALREADY_STOPPED.code());
        assertEquals(0xc0370103L, Hcs.ERR_VMCOMPUTE_OPERATION_PENDING.code());
        assertEquals(0xc0370105L, Hcs.ERR_VMCOMPUTE_OPERATION_INVALID_STATE.code());
        assertEquals(0x7f, Hcs.ERR_PROC_NOT_FOUND.code());
        assertEquals(0x5, Hcs.ERR_VMCOMPUTE_OPERATION_ACCESS_IS_DENIED.code());
        assertEquals(0xc037010dL, Hcs.ERR_VMCOMPUTE_INVALID_JSON.code());
        assertEquals(0xc037010bL, Hcs.ERR_VMCOMPUTE_UNKNOWN_MESSAGE.code());
        assertEquals(0xc0370106L, Hcs.ERR_VMCOMPUTE_UNEXPECTED_EXIT.code());
        assertEquals("hcsshim: the handle has already been closed", Hcs.ERR_ALREADY_CLOSED.getMessage());
        assertEquals("hcsshim: timeout waiting for notification", Hcs.ERR_TIMEOUT.getMessage());
        assertEquals("unsupported platform request", Hcs.ERR_PLATFORM_NOT_SUPPORTED.getMessage());
    }

    @Test
    void facilityWin32HresultsBecomeWin32Codes() {
        assertEquals(Hcs.ERR_INVALID_DATA, Hcs.win32FromHresult(0x8007000d));
        assertEquals(Hcs.ERR_ELEMENT_NOT_FOUND, Hcs.win32FromHresult(0x80070490));
        assertEquals(Hcs.ERR_COMPUTE_SYSTEM_DOES_NOT_EXIST, Hcs.win32FromHresult(0xc037010e));
    }

    private static IOException wrapped(Throwable err) {
        // as operations throw them: a SystemError around the code, inside an unrelated wrapper
        return new IOException("outer", new SystemError("c1", "hcs::System::Start", err, null));
    }

    @Test
    void elementNotFoundAndProcNotFoundAreBothNotExistAndAlreadyStopped() {
        for (Errno e : List.of(Hcs.ERR_ELEMENT_NOT_FOUND, Hcs.ERR_PROC_NOT_FOUND)) {
            assertTrue(Hcs.isNotExist(wrapped(e)));
            assertTrue(Hcs.isAlreadyStopped(wrapped(e)));
        }
        assertTrue(Hcs.isNotExist(wrapped(Hcs.ERR_COMPUTE_SYSTEM_DOES_NOT_EXIST)));
        assertFalse(Hcs.isAlreadyStopped(wrapped(Hcs.ERR_COMPUTE_SYSTEM_DOES_NOT_EXIST)));
        assertTrue(Hcs.isAlreadyStopped(wrapped(Hcs.ERR_VMCOMPUTE_ALREADY_STOPPED)));
        assertFalse(Hcs.isNotExist(wrapped(Hcs.ERR_VMCOMPUTE_ALREADY_STOPPED)));
    }

    @Test
    void notSupportedFamily() {
        for (Throwable e : List.of(Hcs.ERR_VMCOMPUTE_INVALID_JSON, Hcs.ERR_INVALID_DATA, Hcs.ERR_NOT_SUPPORTED,
                Hcs.ERR_VMCOMPUTE_UNKNOWN_MESSAGE, Hcs.ERR_PLATFORM_NOT_SUPPORTED)) {
            assertTrue(Hcs.isNotSupported(wrapped(e)), e.getMessage());
        }
        assertFalse(Hcs.isNotSupported(wrapped(Hcs.ERR_ELEMENT_NOT_FOUND)));
        // a fresh Errno equal by code matches: the value came from native code
        assertTrue(Hcs.isNotSupported(wrapped(Hcs.win32FromHresult(0x8007000d))));
    }

    @Test
    void singlePurposePredicates() {
        assertTrue(Hcs.isAlreadyClosed(wrapped(Hcs.ERR_ALREADY_CLOSED)));
        assertTrue(Hcs.isPending(wrapped(new Errno(0xc0370103L))));
        assertTrue(Hcs.isOperationInvalidState(wrapped(Hcs.ERR_VMCOMPUTE_OPERATION_INVALID_STATE)));
        assertTrue(Hcs.isAccessIsDenied(wrapped(Hcs.win32FromHresult(0x80070005))));
        assertTrue(Hcs.isTimeout(wrapped(Hcs.ERR_TIMEOUT)));
        List<Predicate<Throwable>> all = List.of(Hcs::isNotExist, Hcs::isAlreadyClosed, Hcs::isAlreadyStopped,
                Hcs::isNotSupported, Hcs::isOperationInvalidState, Hcs::isPending, Hcs::isTimeout,
                Hcs::isAccessIsDenied);
        for (Predicate<Throwable> p : all) {
            assertFalse(p.test(new IOException("unrelated")));
            assertFalse(p.test(null));
        }
    }

    @Test
    void timeoutAndTemporaryFollowTheWrappedErrorOnly() {
        SystemError t = new SystemError("c1", "op", Hcs.ERR_TIMEOUT, null);
        // hcsshim: ErrTimeout is no net.Error, so Timeout() is false although IsTimeout is true
        assertFalse(t.timeout());
        assertFalse(t.temporary());
        assertTrue(Hcs.isTimeout(t));
        ProcessError n = new ProcessError("c1", 7, "op", new SocketTimeoutException("read"), null);
        assertTrue(n.timeout());
        NetError temp = new NetError() {
            public boolean timeout() { return false; }
            public boolean temporary() { return true; }
        };
        class Temp extends IOException implements NetError {
            public boolean timeout() { return temp.timeout(); }
            public boolean temporary() { return temp.temporary(); }
        }
        HcsError h = new HcsError("op", new Temp(), null);
        assertTrue(h.temporary());
        assertFalse(h.timeout());
        assertFalse(new HcsError("op", Hcs.ERR_ELEMENT_NOT_FOUND, null).temporary());
    }

    @Test
    void resultDocumentEventsAreParsedAndFormatted() {
        String json = "{\"Error\":-2143878907,\"ErrorMessage\":\"bad state\",\"ErrorEvents\":["
                + "{\"Message\":\"first\",\"StackTrace\":\"st\",\"Provider\":\"p\",\"EventId\":12,\"Flags\":3,\"Source\":\"s\"},"
                + "{\"Message\":\"second\",\"Data\":[{\"Type\":\"x\"}]}]}";
        HcsResult r = HcsResult.parse(json);
        assertEquals(-2143878907, r.error());
        assertEquals("bad state", r.errorMessage());
        List<ErrorEvent> ev = HcsResult.events(json);
        assertEquals(2, ev.size());
        assertEquals(new ErrorEvent("first", "st", "p", 12, 3, "s"), ev.get(0));
        SystemError e = new SystemError("c1", "hcs::System::Start", Hcs.ERR_VMCOMPUTE_OPERATION_INVALID_STATE, ev);
        assertEquals("hcs::System::Start c1: " + Hcs.ERR_VMCOMPUTE_OPERATION_INVALID_STATE.getMessage()
                + "\n[Event Detail: first Stack Trace: st Provider: p EventID: 12 flags: 3 Source: s]"
                + "\n[Event Detail: second]", e.getMessage());
        ProcessError pe = new ProcessError("c1", 42, "hcs::Process::Kill", Hcs.ERR_ELEMENT_NOT_FOUND, null);
        assertEquals("hcs::Process::Kill c1:42: Element not found.", pe.getMessage());
        assertTrue(HcsResult.events("not json").isEmpty());
        assertTrue(HcsResult.events(null).isEmpty());
    }

    @Test
    void errorsAreNotDoubleWrapped() {
        SystemError inner = new SystemError("c1", "a", Hcs.ERR_TIMEOUT, null);
        assertSame(inner, SystemError.of("c1", "b", inner, null));
        ProcessError pinner = new ProcessError("c1", 1, "a", Hcs.ERR_TIMEOUT, null);
        assertSame(pinner, ProcessError.of("c1", 1, "b", pinner, null));
    }

    @ParameterizedTest
    @ValueSource(ints = {0x80070490, 0x8007007f})
    void hresultsOfTheOverlapAreClassifiedBothWays(int hr) {
        Errno e = Hcs.win32FromHresult(hr);
        assertTrue(Hcs.isNotExist(e) && Hcs.isAlreadyStopped(e));
    }
}
