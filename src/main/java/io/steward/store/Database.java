package io.steward.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;

/**
 * The database behind the store, through a HikariCP pool: the schema (created and migrated by Flyway at
 * start-up), and the few statements the store needs. Every method blocks and throws {@link SQLException};
 * the caller decides what a failure means ({@link Failures}).
 */
final class Database implements AutoCloseable {

  static final int MAX_IN = 500;
  private static final int CONTENTION_ATTEMPTS = 5;
  /** Rows in one order everywhere, so that two transactions writing some of the same rows never deadlock. */
  private static final Comparator<Row> LOCK_ORDER = Comparator.comparing(Row::map)
    .thenComparing(Row::key);

  private final Dialect dialect;
  private final HikariDataSource pool;
  private final String target;

  private Database(Dialect dialect, HikariDataSource pool, String target) {
    this.dialect = dialect;
    this.pool = pool;
    this.target = target;
  }

  /** A pool for the configured database; it connects when first used (never fails here for a database that is down). */
  static Database of(StoreConfig c) {
    HikariConfig h = new HikariConfig();
    h.setPoolName("steward-store");
    h.setMaximumPoolSize(c.poolSize());
    h.setMinimumIdle(1);
    h.setConnectionTimeout(c.connectTimeoutMs());
    h.setValidationTimeout(Math.max(250, Math.min(c.connectTimeoutMs(), 5_000)));
    h.setInitializationFailTimeout(-1);
    h.setAutoCommit(true);
    Dialect dialect = Dialect.of(c.kind());
    if (dialect == Dialect.H2) {
      Path dir = c.dir().toAbsolutePath().normalize();
      try {
        Files.createDirectories(dir);
      } catch (java.io.IOException e) {
        throw new StoreException("store.dir: cannot create " + dir + " (" + e.getMessage() + "); give a writable directory", e);
      }
      // The embedded database on one machine: AUTO_SERVER lets a second node started from the same directory share
      // it through the first one (h2.bindAddress keeps that server on loopback). H2 closes it in a JVM shutdown hook,
      // which runs after the node has stopped (and Hazelcast has written the pending changes).
      if (System.getProperty("h2.bindAddress") == null) {
        System.setProperty("h2.bindAddress", "127.0.0.1");
      }
      // LOCK_TIMEOUT: a row another batch holds is waited for (H2's default, 1 s, is shorter than a big batch).
      h.setJdbcUrl("jdbc:h2:file:" + dir.resolve("steward") + ";AUTO_SERVER=TRUE;LOCK_TIMEOUT=10000");
      h.setUsername("sa");
      h.setPassword("");
    } else {
      h.setJdbcUrl(c.url());
      if (c.user() != null) {
        h.setUsername(c.user());
      }
      if (c.password() != null) {
        h.setPassword(c.password());
      }
      long connectSeconds = Math.max(1, (c.connectTimeoutMs() + 999) / 1000);
      h.addDataSourceProperty("connectTimeout", Long.toString(connectSeconds));
      h.addDataSourceProperty("loginTimeout", Long.toString(connectSeconds));
      // A database that stops answering (a frozen host) must not hold a write-behind thread forever.
      h.addDataSourceProperty("socketTimeout", "60");
      h.addDataSourceProperty("tcpKeepAlive", "true");
      h.addDataSourceProperty("reWriteBatchedInserts", "true");
      h.addDataSourceProperty("ApplicationName", "steward");
    }
    return new Database(dialect, new HikariDataSource(h), c.target());
  }

  String target() {
    return target;
  }

  /** Creates or migrates the schema; returns how many migrations ran. */
  int migrate() {
    MigrateResult r = Flyway.configure(Database.class.getClassLoader())
      .dataSource(pool)
      .locations("classpath:" + dialect.migrations)
      .table("steward_schema_history")
      .baselineOnMigrate(false)
      .load()
      .migrate();
    return r.migrationsExecuted;
  }

  /** The identity of this database (made on first use), which every full member of a cluster must share. */
  String storeId() throws SQLException {
    try (Connection c = pool.getConnection()) {
      String id = readId(c);
      if (id != null) {
        return id;
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO steward_store_info (id, store_id, created_at) VALUES (1, ?, ?)")) {
        ps.setString(1, UUID.randomUUID().toString());
        ps.setLong(2, System.currentTimeMillis());
        ps.executeUpdate();
      } catch (SQLException e) {
        if (!Failures.isDataError(e)) { // another node inserted it first: read theirs
          throw e;
        }
      }
      return readId(c);
    }
  }

  private static String readId(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT store_id FROM steward_store_info WHERE id = 1");
         ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /** Whether a connection works (a round trip). */
  void ping(int timeoutSeconds) throws SQLException {
    try (Connection c = pool.getConnection()) {
      if (!c.isValid(timeoutSeconds)) {
        throw new SQLException("the database did not answer a validation query within " + timeoutSeconds + " s", "08000");
      }
    }
  }

  /**
   * Writes rows (upserts, and deletes for rows without a value) in one transaction. When the database refuses
   * the data itself ({@link Failures#isDataError}), the rows are written one by one and each refused one is
   * handed to {@code rejected} instead: it can never be written, so retrying it would only block the others.
   */
  void write(List<Row> rows, BiConsumer<Row, SQLException> rejected) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        for (int attempt = 1; ; attempt++) {
          try {
            writeBatch(c, rows);
            c.commit();
            return;
          } catch (SQLException e) {
            rollback(c);
            // Two threads writing the same rows (a member's write-behind thread and its shutdown flush): the
            // database made one wait or gave up on a deadlock. Not an outage: try again at once.
            if (!Failures.isContention(e) || attempt >= CONTENTION_ATTEMPTS) {
              throw e;
            }
          }
        }
      } catch (SQLException e) {
        if (!Failures.isDataError(e)) {
          throw e;
        }
      } finally {
        c.setAutoCommit(true);
      }
      for (Row r : rows) {
        try {
          writeBatch(c, List.of(r));
        } catch (SQLException e) {
          if (!Failures.isDataError(e)) {
            throw e;
          }
          rejected.accept(r, e);
        }
      }
    }
  }

  private void writeBatch(Connection c, List<Row> rows) throws SQLException {
    List<Row> upserts = new ArrayList<>(rows.size());
    List<Row> deletes = new ArrayList<>();
    for (Row r : rows) {
      (r.isDelete() ? deletes : upserts).add(r);
    }
    deletes.sort(LOCK_ORDER);
    upserts.sort(LOCK_ORDER);
    if (!deletes.isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM steward_entries WHERE map_name = ? AND key_hash = ?")) {
        for (Row r : deletes) {
          ps.setString(1, r.map());
          ps.setBytes(2, r.hash());
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
    if (!upserts.isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement(dialect.upsert)) {
        for (Row r : upserts) {
          ps.setString(1, r.map());
          ps.setBytes(2, r.hash());
          ps.setString(3, r.key());
          if (r.text() != null) {
            ps.setString(4, r.text());
          } else {
            ps.setNull(4, dialect == Dialect.H2 ? Types.CLOB : Types.VARCHAR);
          }
          if (r.bytes() != null) {
            ps.setBytes(5, r.bytes());
          } else {
            ps.setNull(5, dialect == Dialect.H2 ? Types.BLOB : Types.BINARY);
          }
          if (r.expiresAt() != null) {
            ps.setLong(6, r.expiresAt());
          } else {
            ps.setNull(6, Types.BIGINT);
          }
          ps.setLong(7, r.updatedAt());
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
  }

  /**
   * Writes a row only if the database holds no newer version of it (replaying writes kept on disk while the
   * database was down: a cluster started since may have written the key again).
   */
  boolean writeIfNotNewer(Row r) throws SQLException {
    return replay(r).written();
  }

  /**
   * What replaying a row did: skipped (the database holds a newer version), or written over {@code previous}, the
   * version the database held before (null: none, or expired).
   */
  record Replay(boolean written, Row previous) {
  }

  /** {@link #writeIfNotNewer}, telling which version the row replaced. */
  Replay replay(Row r) throws SQLException {
    try (Connection c = pool.getConnection()) {
      Row previous = null;
      try (PreparedStatement ps = c.prepareStatement(
        "SELECT entry_key, value_text, value_bytes, expires_at, updated_at FROM steward_entries WHERE map_name = ? "
          + "AND key_hash = ?")) {
        ps.setString(1, r.map());
        ps.setBytes(2, r.hash());
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            if (rs.getLong(5) > r.updatedAt()) {
              return new Replay(false, null);
            }
            long expires = rs.getLong(4);
            Long expiresAt = rs.wasNull() ? null : expires;
            if (expiresAt == null || expiresAt > System.currentTimeMillis()) {
              previous = new Row(r.map(), rs.getString(1), rs.getString(2), rs.getBytes(3), expiresAt, rs.getLong(5));
            }
          }
        }
      }
      writeBatch(c, List.of(r));
      return new Replay(true, previous);
    }
  }

  /** The keys of a map's entries that have not expired. */
  List<String> keys(String map, long now) throws SQLException {
    List<String> keys = new ArrayList<>();
    try (Connection c = pool.getConnection();
         PreparedStatement ps = c.prepareStatement(
           "SELECT entry_key FROM steward_entries WHERE map_name = ? AND (expires_at IS NULL OR expires_at > ?)")) {
      ps.setString(1, map);
      ps.setLong(2, now);
      ps.setFetchSize(1_000);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          keys.add(rs.getString(1));
        }
      }
    }
    return keys;
  }

  /** The rows of these keys that exist and have not expired, by key. */
  Map<String, Row> rows(String map, Collection<String> keys, long now) throws SQLException {
    Map<String, Row> out = new HashMap<>();
    List<String> all = new ArrayList<>(keys);
    try (Connection c = pool.getConnection()) {
      for (int from = 0; from < all.size(); from += MAX_IN) {
        List<String> chunk = all.subList(from, Math.min(all.size(), from + MAX_IN));
        StringBuilder sql = new StringBuilder("SELECT entry_key, value_text, value_bytes, expires_at, updated_at "
          + "FROM steward_entries WHERE map_name = ? AND (expires_at IS NULL OR expires_at > ?) AND key_hash IN (");
        for (int i = 0; i < chunk.size(); i++) {
          sql.append(i == 0 ? "?" : ", ?");
        }
        sql.append(')');
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
          ps.setString(1, map);
          ps.setLong(2, now);
          for (int i = 0; i < chunk.size(); i++) {
            ps.setBytes(3 + i, Row.hash(chunk.get(i)));
          }
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              long expires = rs.getLong(4);
              Long expiresAt = rs.wasNull() ? null : expires;
              Row r = new Row(map, rs.getString(1), rs.getString(2), rs.getBytes(3), expiresAt, rs.getLong(5));
              out.put(r.key(), r);
            }
          }
        }
      }
    }
    return out;
  }

  /** Deletes rows that expired before {@code now}; returns how many. */
  int purgeExpired(long now) throws SQLException {
    try (Connection c = pool.getConnection();
         PreparedStatement ps = c.prepareStatement("DELETE FROM steward_entries WHERE expires_at IS NOT NULL AND expires_at < ?")) {
      ps.setLong(1, now);
      return ps.executeUpdate();
    }
  }

  /** Rows per map (tests, diagnostics). */
  Map<String, Long> counts() throws SQLException {
    Map<String, Long> out = new HashMap<>();
    try (Connection c = pool.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT map_name, COUNT(*) FROM steward_entries GROUP BY map_name");
         ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getLong(2));
      }
    }
    return out;
  }

  private static void rollback(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // the connection is broken: the pool drops it
    }
  }

  @Override
  public void close() {
    pool.close();
  }
}
