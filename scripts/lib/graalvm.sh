# Sourced by the scripts: which GraalVM (if any) builds the native executable.
# find_graalvm sets GRAALVM_HOME to GraalVM for JDK 25 when one is found: $GRAALVM_HOME, else the
# home of a native-image on PATH, else where scripts/install-deps.sh installs the offline one.
# HCSSHIM_BUILD=jvm forces the JVM distribution.
GRAALVM_OFFLINE_HOME=/opt/graalvm-25-offline

find_graalvm() {
  [ "${HCSSHIM_BUILD:-}" != jvm ] || { unset GRAALVM_HOME; return 1; }
  if [ -n "${GRAALVM_HOME:-}" ] && [ -x "$GRAALVM_HOME/bin/native-image" ]; then
    :
  elif command -v native-image >/dev/null 2>&1; then
    GRAALVM_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v native-image)")")")
  elif [ -x "$GRAALVM_OFFLINE_HOME/bin/native-image" ]; then
    GRAALVM_HOME=$GRAALVM_OFFLINE_HOME
  else
    unset GRAALVM_HOME
    return 1
  fi
  export GRAALVM_HOME
}

# "native" or "JVM": what dist/ ($1) holds.
dist_kind() {
  if [ "$(head -c 4 "$1/bin/containerd-shim-runhcs-v1" 2>/dev/null | tail -c 3)" = ELF ]; then echo native; else echo JVM; fi
}
