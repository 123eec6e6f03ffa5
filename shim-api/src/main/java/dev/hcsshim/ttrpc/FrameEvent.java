package dev.hcsshim.ttrpc;

/** Decoder outcomes other than a whole frame; the handler decides how to answer. */
public sealed interface FrameEvent {
    /** A frame longer than {@link Frame#MAX_PAYLOAD}; its payload was skipped, never buffered. */
    record Oversized(int streamId, byte type, long length) implements FrameEvent {}

    /** A frame of a type this side does not know; its payload (within the cap) was skipped. */
    record UnknownType(int streamId, byte type, int length) implements FrameEvent {}
}
