package io.steward.spi;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * A capability a node can run ({@code http}, {@code tasks}, …), named in the {@code modules} setting.
 * Found with {@link java.util.ServiceLoader}, so an application that embeds Steward can add its own.
 *
 * <p>A module talks to the rest of Steward only through event-bus addresses; this interface is how the
 * node finds, configures and deploys it.
 */
public interface StewardModule {

  /** The name used in the {@code modules} setting. */
  String name();

  /** Its configuration keys, with paths under its section ({@code tasks.…}). */
  List<Setting> settings();

  /**
   * Checks its section (defaults filled in, overrides applied) and throws {@link ConfigException} naming
   * the first bad key. Called for every known module at start-up, deployed or not.
   */
  void validate(JsonObject section);

  /** Deploys its verticle(s) with its section as configuration; the future fails if any part fails. */
  Future<String> deploy(Vertx vertx, JsonObject section);

  /**
   * The Hazelcast maps whose entries must survive a full-cluster restart (docs/durability.md). Asked of every
   * known module, deployed or not, because every full member holds partitions of every map. None by default.
   */
  default List<PersistentMap> persistentMaps() {
    return List.of();
  }

  /**
   * Adjusts the Hazelcast configuration before the member starts (e.g. a map's merge policy, which must be the same
   * on every member). Asked of every known module, deployed or not, like {@link #persistentMaps()}. Nothing by
   * default.
   */
  default void configureHazelcast(com.hazelcast.config.Config config) {
  }
}
