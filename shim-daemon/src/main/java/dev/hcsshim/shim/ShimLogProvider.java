package dev.hcsshim.shim;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import org.slf4j.IMarkerFactory;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The shim programs' SLF4J provider: Logback's {@link LoggerContext}, configured by {@link LogSetup}
 * and nothing else. Named by {@code slf4j.provider} ({@link #select}) rather than found by SLF4J's
 * service lookup and then Logback's configurator lookup: in the native image every resource lookup
 * compares its keys through method handles the image interprets, and those two lookups were ~15 ms
 * of each daemon's start-up. Where the property is not set (unit tests) SLF4J finds Logback's own
 * provider, which finds {@link LogSetup} as a configurator: the same set-up either way.
 */
public final class ShimLogProvider implements SLF4JServiceProvider {
    private final LoggerContext context = new LoggerContext();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final LogbackMDCAdapter mdc = new LogbackMDCAdapter();

    /** Makes SLF4J use this provider; call before the first logger is asked for. */
    public static void select() {
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", ShimLogProvider.class.getName());
            // SLF4J says at INFO which provider it loads: not a line for containerd's log
            System.setProperty("slf4j.internal.verbosity", "WARN");
        }
    }

    @Override
    public void initialize() {
        context.setName("default");
        context.setMDCAdapter(mdc);
        LogSetup setup = new LogSetup();
        setup.setContext(context);
        setup.configure(context);
        context.start();
    }

    @Override
    public LoggerContext getLoggerFactory() {
        return context;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }
}
