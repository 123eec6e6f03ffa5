package dev.hcsshim.shim.task;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;

/**
 * containerd's Any: its typeurl registry writes and expects the bare full name
 * ({@code containerd.events.TaskExit}), where protobuf-java's Any.pack/unpack insist on a
 * {@code type.googleapis.com/} prefix. So Anys are built and read here, by name.
 */
public final class TypeUrls {
    private TypeUrls() {}

    /** OCI LinuxResources as containerd names it ({@code types.containerd.io/} + this). */
    public static final String LINUX_RESOURCES = "opencontainers/runtime-spec/1/LinuxResources";
    /** OCI WindowsResources as containerd names it. */
    public static final String WINDOWS_RESOURCES = "opencontainers/runtime-spec/1/WindowsResources";

    public static Any pack(Message message) {
        return Any.newBuilder()
                .setTypeUrl(message.getDescriptorForType().getFullName())
                .setValue(message.toByteString())
                .build();
    }

    /** True if {@code any} holds a {@code fullName}, with or without a URL prefix. */
    public static boolean is(Any any, String fullName) {
        String url = any.getTypeUrl();
        return url.equals(fullName) || url.endsWith("/" + fullName);
    }

    public static <T extends Message> T unpack(Any any, T defaultInstance) throws InvalidProtocolBufferException {
        String name = defaultInstance.getDescriptorForType().getFullName();
        if (!is(any, name)) {
            throw new InvalidProtocolBufferException("expected " + name + ", got " + any.getTypeUrl());
        }
        @SuppressWarnings("unchecked")
        Parser<T> parser = (Parser<T>) defaultInstance.getParserForType();
        return parser.parseFrom(any.getValue());
    }
}
