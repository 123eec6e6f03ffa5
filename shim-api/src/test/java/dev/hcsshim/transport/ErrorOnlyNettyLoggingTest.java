package dev.hcsshim.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.util.internal.logging.InternalLogLevel;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.IOException;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ErrorOnlyNettyLoggingTest {
    private static final String NAME = "io.netty.test.ErrorOnly";
    private InternalLoggerFactory previous;
    private ListAppender<ILoggingEvent> events;
    private ch.qos.logback.classic.Logger backend;

    @BeforeEach
    void install() {
        previous = InternalLoggerFactory.getDefaultFactory();
        InternalLoggerFactory.setDefaultFactory(new ErrorOnlyNettyLogging());
        backend = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(NAME);
        backend.setLevel(Level.TRACE); // whatever SLF4J would take, only errors are passed on
        events = new ListAppender<>();
        events.start();
        backend.addAppender(events);
    }

    @AfterEach
    void restore() {
        backend.detachAppender(events);
        backend.setLevel(null);
        InternalLoggerFactory.setDefaultFactory(previous);
    }

    @Test
    void onlyErrorsReachTheLoggerOfTheSameName() {
        InternalLogger netty = InternalLoggerFactory.getInstance(NAME);
        for (InternalLogLevel level : new InternalLogLevel[] {InternalLogLevel.TRACE, InternalLogLevel.DEBUG,
                InternalLogLevel.INFO, InternalLogLevel.WARN}) {
            assertFalse(netty.isEnabled(level), level.toString());
            netty.log(level, "dropped {}", level);
            netty.log(level, "dropped", new IOException("x"));
        }
        netty.warn("dropped {} {}", 1, 2);
        assertTrue(events.list.isEmpty(), events.list.toString());

        assertTrue(netty.isErrorEnabled());
        netty.error("failed {} with {}", "bind", 13);
        netty.error("failed", new IOException("broken pipe"));
        netty.error("{}{}{}", "a", "b", "c");
        assertEquals(3, events.list.size());
        ILoggingEvent first = events.list.get(0);
        assertEquals(Level.ERROR, first.getLevel());
        assertEquals(NAME, first.getLoggerName());
        assertEquals("failed bind with 13", first.getFormattedMessage());
        assertEquals("broken pipe", events.list.get(1).getThrowableProxy().getMessage());
        assertEquals("abc", events.list.get(2).getFormattedMessage());
    }

    @Test
    void nettyDefaultsInstallIt() {
        InternalLoggerFactory.setDefaultFactory(previous);
        Properties before = (Properties) System.getProperties().clone();
        try {
            NettyDefaults.apply();
            assertSame(ErrorOnlyNettyLogging.class, InternalLoggerFactory.getDefaultFactory().getClass());
            assertFalse(InternalLoggerFactory.getInstance(NAME).isDebugEnabled());
        } finally {
            System.setProperties(before); // the other tests of this JVM keep Netty's own defaults
        }
    }
}
