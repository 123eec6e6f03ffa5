/**
 * The compute-system contracts (hcsshim's {@code internal/cow}): what the shim needs from any
 * backend that can host processes. HCS compute systems on Windows and OCI-runtime containers on
 * Linux both implement them, so the task service above never knows which one it drives.
 */
package dev.hcsshim.cow;
