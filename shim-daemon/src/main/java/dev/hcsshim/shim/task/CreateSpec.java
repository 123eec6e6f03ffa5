package dev.hcsshim.shim.task;

import dev.hcsshim.proto.runhcs.options.Options;
import dev.hcsshim.proto.types.Mount;
import java.nio.file.Path;
import java.util.List;

/** Everything a backend needs to create a task's compute system and its (not yet started) init process. */
public record CreateSpec(
        String namespace,
        String id,
        Path bundle,
        List<Mount> rootfs,
        StdioSpec stdio,
        String checkpoint,
        Options options) {}
