package dev.hcsshim.hcs;

/** Go's {@code net.Error}: an error that can say whether it is a timeout or temporary. */
public interface NetError {
    boolean timeout();

    boolean temporary();
}
