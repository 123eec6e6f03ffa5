package dev.hcsshim.linux;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

final class LinuxTestSupport {
    private LinuxTestSupport() {}

    static final Duration WAIT = Duration.ofSeconds(30);

    /** Polls cond until true or the bound passes (then fails with what). */
    static void await(String what, Duration bound, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        long pause = 1;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out after " + bound + " waiting for " + what);
            Thread.sleep(pause);
            pause = Math.min(pause * 2, 50);
        }
    }

    static String newId() {
        return "hcsj-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
    }

    /** runc can create containers here: it is installed and we are root. */
    static boolean canRunRunc() {
        return runcAvailable() && LibC.INSTANCE.getuid() == 0;
    }

    /** The tests' parent cgroup in every v1 hierarchy, once no container uses it. */
    static void removeCgroupParent(String name) {
        for (String ctl : java.util.List.of("memory", "cpu,cpuacct", "pids", "freezer", "blkio", "devices", "cpuset",
                "net_cls,net_prio", "perf_event", "hugetlb", "rdma", "misc", "systemd")) {
            new java.io.File("/sys/fs/cgroup/" + ctl + "/" + name).delete();
        }
    }

    static boolean runcAvailable() {
        return Files.isExecutable(Path.of("/usr/sbin/runc")) || Files.isExecutable(Path.of("/usr/bin/runc"));
    }

    /** 'Z' for a zombie, 0 when gone. */
    static char procState(int pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return s.charAt(s.lastIndexOf(')') + 2);
        } catch (Exception e) {
            return 0;
        }
    }

    /** fds that relays still wait on in the relay loop (0 once every relay finished). */
    static int relayInterests() {
        try {
            return RelayLoop.shared().interests();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
