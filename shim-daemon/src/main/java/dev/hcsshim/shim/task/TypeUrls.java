package dev.hcsshim.shim.task;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.hcsshim.proto.events.TaskEventsProto;
import java.util.Map;
import java.util.stream.Collectors;

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

    /**
     * The task events' full names by Java class, read from their file's descriptor: a generated
     * message's getDescriptorForType() first builds the message's field-accessor table, a
     * reflective look at every accessor, which in the native executable cost each daemon ~1 ms per
     * event type on its way through its first container.
     */
    private static final Map<String, String> EVENT_NAMES = TaskEventsProto.getDescriptor().getMessageTypes().stream()
            .collect(Collectors.toUnmodifiableMap(
                    type -> TaskEventsProto.class.getPackageName() + "." + type.getName(), Descriptor::getFullName));

    public static Any pack(Message message) {
        String name = knownName(message);
        return Any.newBuilder()
                .setTypeUrl(name != null ? name : message.getDescriptorForType().getFullName())
                .setValue(message.toByteString())
                .build();
    }

    /** The full name of a task event without its accessor table, or null for any other message. */
    static String knownName(Message message) {
        return EVENT_NAMES.get(message.getClass().getName());
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
