/**
 * What every package may use to be observed, beside the message contract: the Micrometer registry of a Vert.x
 * instance ({@link io.steward.observe.Metrics}), the escaping of client-controlled text in log lines
 * ({@link io.steward.observe.LogText}) and the rate limit of WARN lines a client can cause
 * ({@link io.steward.observe.RateLimitedLog}). Uses nothing else of Steward; io.steward.ArchitectureTest keeps it so.
 */
package io.steward.observe;
