/**
 * containerd's error classes. Failures are classified once, where they happen (a runtime's own
 * error message, a state check, an argument check), and mapped to a gRPC status once per call by
 * {@link dev.hcsshim.ttrpc.StatusMapper}.
 */
package dev.hcsshim.errdefs;
