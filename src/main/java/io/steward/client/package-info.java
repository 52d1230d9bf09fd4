/**
 * The typed Java client of a Steward cluster: {@link io.steward.client.StewardClient} joins the cluster as a
 * Hazelcast lite member ({@link io.steward.client.ClientOptions}) or wraps a clustered Vert.x, and offers
 * {@link io.steward.client.Tasks}, {@link io.steward.client.Workflows}, {@link io.steward.client.Fanout},
 * {@link io.steward.client.Schedule} and {@link io.steward.client.Cache}; every failure is a
 * {@link io.steward.client.StewardException}.
 *
 * <p>This package is built into its own jar ({@code steward-<version>-client.jar}) and imports nothing else of
 * Steward: only vertx-core, vertx-hazelcast and Jackson (docs/client.md).
 */
package io.steward.client;
