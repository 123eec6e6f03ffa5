/**
 * The HCS JSON documents the shim sends and reads, as Jackson records whose property names are
 * HCS's own (schema1 for legacy queries, schema2 otherwise). Nested device documents the shim
 * does not interpret are kept as JSON trees.
 */
package dev.hcsshim.windows.schema;
