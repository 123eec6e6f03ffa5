package dev.hcsshim.shim.task;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.hcsshim.proto.runhcs.options.Options;

/**
 * The runtime options containerd passes: to {@code start} on stdin ({@code start} hands them to
 * the daemon), and with every CreateTaskRequest.
 */
public final class RuntimeOptions {
    private RuntimeOptions() {}

    /**
     * Nothing, an Any holding containerd.runhcs.v1.Options (ctr, CRI on Windows and in containerd
     * 2.x), or one holding runtimeoptions.v1.Options (CRI on Linux in containerd 1.6 and 1.7, see
     * {@link TomlRuntimeOptions}); IllegalArgumentException for anything else.
     */
    public static Options parse(byte[] raw) {
        if (raw.length == 0) {
            return Options.getDefaultInstance();
        }
        try {
            return of(Any.parseFrom(raw));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("malformed runtime options: " + e.getMessage());
        }
    }

    /**
     * The same, but null when containerd passed nothing (ctr's default): the default instance
     * would build runhcs.proto's descriptors, milliseconds and ~50 image-heap page faults of a
     * process containerd is waiting for, for nothing.
     */
    public static Options parseIfGiven(byte[] raw) {
        return raw.length == 0 ? null : parse(raw);
    }

    /** The same, already read as an Any. */
    public static Options of(Any any) {
        try {
            if (any.getTypeUrl().isEmpty()) {
                return Options.getDefaultInstance();
            }
            if (TypeUrls.is(any, TomlRuntimeOptions.TYPE)) {
                return TomlRuntimeOptions.parse(dev.hcsshim.proto.runtimeoptions.Options.parseFrom(any.getValue()));
            }
            if (!TypeUrls.is(any, Options.getDescriptor().getFullName())) {
                throw new IllegalArgumentException("unsupported runtime options type " + any.getTypeUrl()
                        + " (want " + Options.getDescriptor().getFullName() + " or " + TomlRuntimeOptions.TYPE + ")");
            }
            return TypeUrls.unpack(any, Options.getDefaultInstance());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("malformed runtime options: " + e.getMessage());
        }
    }
}
