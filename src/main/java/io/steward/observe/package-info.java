/**
 * What every package may use to be observed, beside the message contract: the Micrometer registry of a Vert.x
 * instance ({@link io.steward.observe.Metrics}) and the escaping of client-controlled text in log lines
 * ({@link io.steward.observe.LogText}). Uses nothing else of Steward; io.steward.ArchitectureTest keeps it so.
 */
package io.steward.observe;
