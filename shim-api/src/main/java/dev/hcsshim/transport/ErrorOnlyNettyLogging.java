package dev.hcsshim.transport;

import io.netty.util.internal.logging.AbstractInternalLogger;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty's loggers in the shim programs: errors only, each bound to its SLF4J logger when it first
 * has one to log. Netty's own factory asks SLF4J, while Netty's first class initialises, whether it
 * has a provider, which initialises SLF4J and the logging behind it on that thread: in the daemon
 * the thread that brings the epoll transport up, ~5 ms on containerd's path, for loggers the shim
 * keeps at ERROR (Netty's debug lines and grpc-netty's warning about SO_KEEPALIVE on every unix
 * socket are not for containerd's log).
 */
final class ErrorOnlyNettyLogging extends InternalLoggerFactory {

    @Override
    protected InternalLogger newInstance(String name) {
        return new ErrorOnlyLogger(name);
    }

    private static final class ErrorOnlyLogger extends AbstractInternalLogger {
        private static final long serialVersionUID = 1L;
        private transient volatile Logger target;

        ErrorOnlyLogger(String name) {
            super(name);
        }

        private Logger target() {
            Logger t = target;
            if (t == null) {
                t = LoggerFactory.getLogger(name());
                target = t;
            }
            return t;
        }

        @Override
        public boolean isErrorEnabled() {
            return target().isErrorEnabled();
        }

        @Override
        public void error(String msg) {
            target().error(msg);
        }

        @Override
        public void error(String format, Object arg) {
            target().error(format, arg);
        }

        @Override
        public void error(String format, Object argA, Object argB) {
            target().error(format, argA, argB);
        }

        @Override
        public void error(String format, Object... arguments) {
            target().error(format, arguments);
        }

        @Override
        public void error(String msg, Throwable t) {
            target().error(msg, t);
        }

        // Below ERROR: nothing, and no SLF4J.

        @Override
        public boolean isTraceEnabled() {
            return false;
        }

        @Override
        public void trace(String msg) {}

        @Override
        public void trace(String format, Object arg) {}

        @Override
        public void trace(String format, Object argA, Object argB) {}

        @Override
        public void trace(String format, Object... arguments) {}

        @Override
        public void trace(String msg, Throwable t) {}

        @Override
        public boolean isDebugEnabled() {
            return false;
        }

        @Override
        public void debug(String msg) {}

        @Override
        public void debug(String format, Object arg) {}

        @Override
        public void debug(String format, Object argA, Object argB) {}

        @Override
        public void debug(String format, Object... arguments) {}

        @Override
        public void debug(String msg, Throwable t) {}

        @Override
        public boolean isInfoEnabled() {
            return false;
        }

        @Override
        public void info(String msg) {}

        @Override
        public void info(String format, Object arg) {}

        @Override
        public void info(String format, Object argA, Object argB) {}

        @Override
        public void info(String format, Object... arguments) {}

        @Override
        public void info(String msg, Throwable t) {}

        @Override
        public boolean isWarnEnabled() {
            return false;
        }

        @Override
        public void warn(String msg) {}

        @Override
        public void warn(String format, Object arg) {}

        @Override
        public void warn(String format, Object... arguments) {}

        @Override
        public void warn(String format, Object argA, Object argB) {}

        @Override
        public void warn(String msg, Throwable t) {}
    }
}
