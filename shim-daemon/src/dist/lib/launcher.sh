# Sourced by the launchers in ../bin: picks the JDK and the JVM flags.
# The JDK: $HCSSHIM_JAVA_HOME, else the one that built this distribution (lib/java-home),
# else $JAVA_HOME, else Temurin 25's Debian location.
for home in "${HCSSHIM_JAVA_HOME:-}" "$(cat "$dist/lib/java-home" 2>/dev/null || true)" "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64; do
  if [ -n "$home" ] && [ -x "$home/bin/java" ]; then JAVA="$home/bin/java"; break; fi
done
if [ -z "${JAVA:-}" ]; then
  echo "containerd-shim-runhcs-v1: no JDK 25 found; set HCSSHIM_JAVA_HOME" >&2
  exit 1
fi
# Lean flags: a shim is mostly idle, so small heaps, one GC thread and the C1 compiler only.
# -Xlog:disable keeps the JVM from printing anything itself: during `start` containerd takes
# every byte of output as the shim's address. (The JVM distribution is the portable fallback;
# the native executable is the fast one, so no AOT cache is trained here.)
common="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -Xss512k -Xlog:disable -Xlog:all=off --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"
HCSSHIM_JVM_OPTS="$common -Xms8m -Xmx128m -XX:MaxMetaspaceSize=96m -XX:ReservedCodeCacheSize=24m -XX:MaxDirectMemorySize=64m ${HCSSHIM_EXTRA_JVM_OPTS:-}"
HCSSHIM_CLI_OPTS="$common -Xmx64m"
