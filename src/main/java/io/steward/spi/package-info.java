/**
 * What a module may use besides the message contract ({@code io.steward.bus}): the module interface
 * ({@link io.steward.spi.StewardModule}), settings ({@link io.steward.spi.Setting}), the persistence seam
 * ({@link io.steward.spi.PersistentMap}, {@link io.steward.spi.Persistence}), cluster facts
 * ({@link io.steward.spi.Cluster}), and the one adapter per library for its internals
 * ({@link io.steward.spi.VertxInternals}, {@link io.steward.spi.HazelcastInternals}), with the table of the
 * libraries' known log lines ({@link io.steward.spi.LibraryLogs}). Uses only {@code bus} and {@code observe};
 * io.steward.ArchitectureTest keeps it so.
 */
package io.steward.spi;
