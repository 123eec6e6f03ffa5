package dev.hcsshim.shim;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * Logback set up in code rather than from XML: the XML configurator costs a shim ~100 ms of
 * class loading on every start-up, and containerd waits for {@code start} and {@code delete}.
 * Everything goes to stderr, which for the daemon is the bundle's log FIFO (containerd copies it
 * into its own log) and for {@code delete} is what containerd logs as cleanup warnings. The level
 * is {@code -Dhcsshim.log.level} (the daemon sets it from -debug or the runtime options).
 */
public final class LogSetup extends ContextAwareBase implements Configurator {

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [runhcs] [%thread] %logger{0}: %msg%n");
        encoder.start();

        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("stderr");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();

        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(System.getProperty("hcsshim.log.level", "info"), Level.INFO));
        root.addAppender(stderr);
        // grpc-netty warns about SO_KEEPALIVE on every unix-socket connection.
        context.getLogger("io.netty").setLevel(Level.ERROR);
        context.getLogger("io.grpc").setLevel(Level.WARN);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
