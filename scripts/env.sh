# Sourced by the other scripts: the JDK this project builds with.
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q '"25'; then
  JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
if [ ! -x "$JAVA_HOME/bin/java" ]; then
  echo "JDK 25 not found at $JAVA_HOME: install Temurin 25 there or set JAVA_HOME" >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
