package dev.hcsshim.errdefs;

/**
 * An exception whose {@link ErrorKind} was decided where it was thrown. The status mapper sends
 * it as that kind's code with the exception's message, without looking any further.
 */
public interface ClassifiedError {
    ErrorKind kind();

    /** What failed, for people: no exception class names. */
    String getMessage();
}
