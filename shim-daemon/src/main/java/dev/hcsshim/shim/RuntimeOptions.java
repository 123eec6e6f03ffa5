package dev.hcsshim.shim;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.hcsshim.proto.runhcs.options.Options;
import dev.hcsshim.shim.task.TypeUrls;

/** The runtime options containerd hands {@code start} on stdin (and {@code start} hands the daemon). */
public final class RuntimeOptions {
    private RuntimeOptions() {}

    /** Nothing, or an Any holding containerd.runhcs.v1.Options; IllegalArgumentException for anything else. */
    public static Options parse(byte[] raw) {
        if (raw.length == 0) {
            return Options.getDefaultInstance();
        }
        try {
            Any any = Any.parseFrom(raw);
            if (any.getTypeUrl().isEmpty()) {
                return Options.getDefaultInstance();
            }
            if (!TypeUrls.is(any, Options.getDescriptor().getFullName())) {
                throw new IllegalArgumentException("unsupported runtime options type " + any.getTypeUrl()
                        + " (want " + Options.getDescriptor().getFullName() + ")");
            }
            return TypeUrls.unpack(any, Options.getDefaultInstance());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("malformed runtime options: " + e.getMessage());
        }
    }
}
