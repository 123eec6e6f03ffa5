package dev.hcsshim.runhcs;

import com.fasterxml.jackson.annotation.JsonProperty;

/** An operation request issued to a VM shim; JSON {@code {"ID":..., "Op":...}}. */
public record VMRequest(@JsonProperty("ID") String id, @JsonProperty("Op") VMRequestOp op) {}
