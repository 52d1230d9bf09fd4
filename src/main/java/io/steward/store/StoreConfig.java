package io.steward.store;

import io.steward.spi.ConfigException;
import io.steward.spi.Setting;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The node-level {@code store.*} settings: where jobs, durable tasks and persistent caches are written, and
 * how. Parsed once at start-up; a bad value stops the node with a message naming the key.
 *
 * @param kind              where: an embedded file database, PostgreSQL, or nowhere
 * @param dir               the embedded database's directory; also where writes that could not reach the
 *                          database while the last node stopped are kept ({@link Spill})
 * @param url               the PostgreSQL JDBC URL
 * @param writeDelaySeconds write-behind delay: a change is written this long after it was acknowledged
 * @param writeBatchSize    most entries in one database batch
 * @param startupTimeoutMs  how long a starting node waits for the database
 * @param maxBackoffMs      longest wait between two attempts to reach a database that is down
 * @param connectTimeoutMs  how long to wait for a connection before the database counts as down
 */
public record StoreConfig(Kind kind, Path dir, String url, String user, String password, int poolSize,
                          int writeDelaySeconds, int writeBatchSize, long startupTimeoutMs, long maxBackoffMs,
                          long connectTimeoutMs) {

  public enum Kind {
    NONE, EMBEDDED, POSTGRES;

    String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public static final List<Setting> SETTINGS = List.of(
    Setting.string("store.kind", "embedded", "Where jobs, durable tasks, workflows and persistent caches are written: embedded (a file "
      + "database in store.dir, one machine), postgres (store.url, for clusters) or none (memory only: a full restart loses "
      + "them). Every full member must use the same (docs/durability.md)"),
    Setting.string("store.dir", "data", "Directory of the embedded database (relative to the working directory); also "
      + "where writes the database could not take while this node stopped wait for its next start"),
    Setting.string("store.url", null, "JDBC URL of the PostgreSQL database, e.g. jdbc:postgresql://db.internal:5432/steward "
      + "(store.kind postgres)"),
    Setting.string("store.user", null, "Database user (PostgreSQL)"),
    Setting.string("store.password", null, "Database password (set it in the environment, not in a file)"),
    Setting.integer("store.poolSize", 4, "Database connections this node keeps open"),
    Setting.integer("store.writeDelaySeconds", 1, "Write-behind delay: a change reaches the database this many seconds "
      + "after it was acknowledged (at least 1; docs/durability.md)"),
    Setting.integer("store.writeBatchSize", 500, "Most entries written to the database in one batch"),
    Setting.integer("store.startupTimeoutMs", 60_000, "How long a starting node waits for the database before it gives "
      + "up (exit 1)"),
    Setting.integer("store.maxBackoffMs", 30_000, "Longest wait between two attempts to reach a database that is down"),
    Setting.integer("store.connectTimeoutMs", 5_000, "How long to wait for a database connection before the database "
      + "counts as down")
  );

  /** Parses the {@code store} section (defaults filled in, overrides applied). */
  public static StoreConfig from(JsonObject s) {
    String kindText = s.getString("kind", "embedded").trim().toLowerCase(Locale.ROOT);
    Kind kind = switch (kindText) {
      case "none" -> Kind.NONE;
      case "embedded" -> Kind.EMBEDDED;
      case "postgres", "postgresql" -> Kind.POSTGRES;
      default -> throw new ConfigException("store.kind", "must be embedded, postgres or none, got '" + kindText + "'");
    };
    String dirText = s.getString("dir", "data");
    if (dirText == null || dirText.isBlank()) {
      throw new ConfigException("store.dir", "must be a directory path");
    }
    String url = blankToNull(s.getString("url"));
    if (kind == Kind.POSTGRES) {
      if (url == null) {
        throw new ConfigException("store.url", "is required with store.kind postgres, e.g. "
          + "jdbc:postgresql://db.internal:5432/steward (STEWARD_STORE_URL)");
      }
      if (!url.startsWith("jdbc:postgresql:")) {
        throw new ConfigException("store.url", "must be a PostgreSQL JDBC URL starting with jdbc:postgresql:, got '" + url + "'");
      }
    }
    return new StoreConfig(kind, Path.of(dirText), url, blankToNull(s.getString("user")),
      s.getString("password"),
      atLeast(s, "poolSize", 4, 1, 100),
      atLeast(s, "writeDelaySeconds", 1, 1, 3_600),
      atLeast(s, "writeBatchSize", 500, 1, 100_000),
      atLeast(s, "startupTimeoutMs", 60_000, 0, Integer.MAX_VALUE),
      atLeast(s, "maxBackoffMs", 30_000, 100, Integer.MAX_VALUE),
      atLeast(s, "connectTimeoutMs", 5_000, 250, Integer.MAX_VALUE));
  }

  /** Where the data goes, for logs and health: the embedded directory, or the URL (never the password). */
  public String target() {
    return switch (kind) {
      case NONE -> "memory only";
      case EMBEDDED -> dir.toAbsolutePath().normalize().toString();
      case POSTGRES -> url;
    };
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  private static int atLeast(JsonObject s, String key, int def, int min, int max) {
    Integer v = s.getInteger(key, def);
    if (v < min || v > max) {
      throw new ConfigException("store." + key, "must be between " + min + " and " + max + ", got " + v);
    }
    return v;
  }
}
