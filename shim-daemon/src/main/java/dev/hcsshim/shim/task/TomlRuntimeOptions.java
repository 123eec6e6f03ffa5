package dev.hcsshim.shim.task;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.hcsshim.proto.runhcs.options.Options;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A runtime handler's options as containerd's CRI plugin on Linux passes them to a runtime it has
 * no compiled options type for, i.e. to us: {@code runtimeoptions.v1.Options}, naming a TOML file
 * ({@code ConfigPath}; containerd 1.6 passes nothing else) or carrying the TOML of the handler's
 * {@code options} table ({@code config_body}, containerd 1.7 and later). A key is a field of
 * {@code containerd.runhcs.v1.Options} by its Go name, as hcsshim's users write them
 * ({@code DefaultContainerAnnotations}, {@code DaemonScope}), or by its proto name; an enum takes
 * a value's name (any case) or number. Anything else is refused, so a typo is an error at
 * {@code start} rather than a setting silently ignored.
 */
final class TomlRuntimeOptions {
    static final String TYPE = "runtimeoptions.v1.Options";
    /** runtimeoptions' own keys: CRI passes the whole options table, these included, as the body. */
    private static final Set<String> WRAPPER_KEYS = Set.of("typeurl", "configpath", "configbody");
    private static final long MAX_FILE_BYTES = 1 << 20;

    private TomlRuntimeOptions() {}

    /** Built on first use: only CRI on Linux passes options this way (then with every Create). */
    private static final class Toml {
        static final TomlMapper MAPPER = new TomlMapper();
    }

    static Options parse(dev.hcsshim.proto.runtimeoptions.Options wrapper) {
        String type = wrapper.getTypeUrl();
        String ours = Options.getDescriptor().getFullName();
        if (!type.isEmpty() && !type.equals(ours) && !type.endsWith("/" + ours)) {
            throw new IllegalArgumentException("runtime options of type " + type + " (want " + ours + ")");
        }
        if (!wrapper.getConfigPath().isEmpty()) {
            Path file = Path.of(wrapper.getConfigPath());
            return fromToml(read(file), "runtime options file " + file);
        }
        return fromToml(wrapper.getConfigBody().toStringUtf8(), "runtime options");
    }

    private static String read(Path file) {
        if (!file.isAbsolute()) {
            throw new IllegalArgumentException("runtime options file " + file + " is not an absolute path");
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes((int) MAX_FILE_BYTES + 1);
            if (bytes.length > MAX_FILE_BYTES) {
                throw new IllegalArgumentException("runtime options file " + file + " is larger than " + MAX_FILE_BYTES + " bytes");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read runtime options file " + file + ": " + e);
        }
    }

    static Options fromToml(String toml, String source) {
        JsonNode root;
        try {
            root = Toml.MAPPER.readTree(toml);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(source + " are not valid TOML: " + e.getOriginalMessage());
        }
        // A DynamicMessage is filled through descriptors alone: no reflection on generated code.
        DynamicMessage.Builder b = DynamicMessage.newBuilder(Options.getDescriptor());
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String key = e.getKey();
            if (WRAPPER_KEYS.contains(key.toLowerCase(Locale.ROOT))) {
                continue;
            }
            FieldDescriptor f = field(key);
            if (f == null) {
                throw new IllegalArgumentException(source + ": unknown option " + key);
            }
            set(b, f, e.getValue(), source + ": " + key);
        }
        try {
            return Options.parseFrom(b.build().toByteString());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The field a TOML key names: Go names are the JSON names with a capital first letter. */
    private static FieldDescriptor field(String key) {
        for (FieldDescriptor f : Options.getDescriptor().getFields()) {
            if (key.equalsIgnoreCase(f.getJsonName()) || key.equals(f.getName())) {
                return f;
            }
        }
        return null;
    }

    private static void set(DynamicMessage.Builder b, FieldDescriptor f, JsonNode v, String what) {
        switch (f.getJavaType()) {
            case BOOLEAN -> {
                require(v.isBoolean(), what, "true or false");
                b.setField(f, v.booleanValue());
            }
            case STRING -> {
                require(v.isTextual(), what, "a string");
                b.setField(f, v.textValue());
            }
            case INT -> {
                boolean unsigned = f.getType() == FieldDescriptor.Type.UINT32;
                require(v.isIntegralNumber() && v.canConvertToLong(), what, "an integer");
                long n = v.longValue();
                long min = unsigned ? 0 : Integer.MIN_VALUE;
                long max = unsigned ? 0xFFFF_FFFFL : Integer.MAX_VALUE;
                require(n >= min && n <= max, what, "an integer from " + min + " to " + max);
                b.setField(f, (int) n);
            }
            case ENUM -> b.setField(f, enumValue(f, v, what));
            case MESSAGE -> {
                require(f.isMapField(), what, "a supported option");
                require(v.isObject(), what, "a table of strings");
                Descriptor entry = f.getMessageType();
                for (Map.Entry<String, JsonNode> e : v.properties()) {
                    require(e.getValue().isTextual(), what + "." + e.getKey(), "a string");
                    b.addRepeatedField(f, DynamicMessage.newBuilder(entry)
                            .setField(entry.findFieldByName("key"), e.getKey())
                            .setField(entry.findFieldByName("value"), e.getValue().textValue())
                            .build());
                }
            }
            default -> require(false, what, "a supported option");
        }
    }

    private static EnumValueDescriptor enumValue(FieldDescriptor f, JsonNode v, String what) {
        EnumValueDescriptor value = null;
        if (v.isIntegralNumber() && v.canConvertToInt()) {
            value = f.getEnumType().findValueByNumber(v.intValue());
        } else if (v.isTextual()) {
            value = f.getEnumType().findValueByName(v.textValue().toUpperCase(Locale.ROOT));
        }
        if (value == null) {
            throw new IllegalArgumentException(what + " must be one of " + f.getEnumType().getValues().stream()
                    .map(EnumValueDescriptor::getName).toList() + " (or its number), not " + v);
        }
        return value;
    }

    private static void require(boolean ok, String what, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(what + " must be " + expected);
        }
    }
}
