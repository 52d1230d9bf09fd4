package io.steward.store;

import io.steward.testing.Postgres;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The SQL of both databases against real ones: an embedded H2 file, and the PostgreSQL server of the tests. */
class DatabaseTest {

  @TempDir
  static Path dir;

  private static final List<Runnable> CLEANUP = new ArrayList<>();

  @AfterAll
  static void cleanUp() {
    CLEANUP.forEach(Runnable::run);
  }

  private static Database embedded() {
    Database db = Database.of(StoreConfig.from(new JsonObject().put("kind", "embedded")
      .put("dir", dir.resolve(UUID.randomUUID().toString()).toString())));
    CLEANUP.add(db::close);
    return db;
  }

  private static Database postgres() throws SQLException {
    String admin = Postgres.adminUrl();
    String url = Postgres.createDatabase(admin);
    Database db = Database.of(StoreConfig.from(new JsonObject().put("kind", "postgres").put("url", url)));
    CLEANUP.add(() -> {
      db.close();
      Postgres.dropDatabase(admin, url);
    });
    return db;
  }

  @Test
  void embedded_database_stores_loads_expires_and_deletes_entries() throws Exception {
    roundTrip(embedded());
  }

  @Test
  void postgres_database_stores_loads_expires_and_deletes_entries() throws Exception {
    roundTrip(postgres());
  }

  @Test
  void embedded_database_keeps_its_identity_and_migrates_once() throws Exception {
    identity(embedded());
  }

  @Test
  void postgres_database_keeps_its_identity_and_migrates_once() throws Exception {
    identity(postgres());
  }

  @Test
  void embedded_database_refuses_bad_rows_one_by_one_and_writes_the_others() throws Exception {
    poison(embedded());
  }

  @Test
  void postgres_database_refuses_bad_rows_one_by_one_and_writes_the_others() throws Exception {
    poison(postgres());
  }

  @Test
  void embedded_database_takes_the_same_rows_from_two_writers_at_once() throws Exception {
    concurrentWriters(embedded());
  }

  @Test
  void postgres_database_takes_the_same_rows_from_two_writers_at_once() throws Exception {
    concurrentWriters(postgres());
  }

  /**
   * A member's write-behind thread and its shutdown flush can write the same entries at the same time, given in
   * different orders: neither may fail (a lock timeout or deadlock would look like an outage).
   */
  private static void concurrentWriters(Database db) throws Exception {
    db.migrate();
    long now = System.currentTimeMillis();
    List<Row> forward = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      forward.add(new Row("same", "k" + i, "v".repeat(200) + i, null, null, now));
    }
    List<Row> backward = new ArrayList<>(forward);
    java.util.Collections.reverse(backward);
    java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      List<java.util.concurrent.Future<?>> runs = new ArrayList<>();
      for (int round = 0; round < 10; round++) {
        runs.add(two.submit(() -> {
          db.write(forward, (r, e) -> { });
          return null;
        }));
        runs.add(two.submit(() -> {
          db.write(backward, (r, e) -> { });
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : runs) {
        f.get(60, java.util.concurrent.TimeUnit.SECONDS);
      }
    } finally {
      two.shutdownNow();
    }
    assertThat(db.counts()).containsEntry("same", 500L);
  }

  private static void roundTrip(Database db) throws Exception {
    assertThat(db.migrate()).isEqualTo(1);
    long now = System.currentTimeMillis();
    String longKey = "k".repeat(10_000); // longer than a PostgreSQL index entry may be: the key is hashed
    List<Row> rows = List.of(
      new Row("m", "a", "{\"v\":1}", null, null, now),
      new Row("m", "b", null, new byte[] {1, 2, 3}, now + 60_000, now),
      new Row("m", "expired", "x", null, now - 1, now),
      new Row("m", longKey, "long", null, null, now),
      new Row("other", "a", "elsewhere", null, null, now));
    List<Row> refused = new ArrayList<>();
    db.write(rows, (r, e) -> refused.add(r));
    assertThat(refused).isEmpty();

    assertThat(db.keys("m", now)).containsExactlyInAnyOrder("a", "b", longKey);
    Map<String, Row> loaded = db.rows("m", List.of("a", "b", "expired", longKey, "missing"), now);
    assertThat(loaded).containsOnlyKeys("a", "b", longKey);
    assertThat(loaded.get("a").text()).isEqualTo("{\"v\":1}");
    assertThat(loaded.get("a").expiresAt()).isNull();
    assertThat(loaded.get("b").bytes()).containsExactly(1, 2, 3);
    assertThat(loaded.get("b").expiresAt()).isEqualTo(now + 60_000);
    assertThat(loaded.get(longKey).text()).isEqualTo("long");

    // an upsert replaces, a delete removes, text and bytes swap cleanly
    db.write(List.of(new Row("m", "a", null, new byte[] {9}, null, now + 1), Row.delete("m", "b", now + 1)), (r, e) -> refused.add(r));
    loaded = db.rows("m", List.of("a", "b"), now);
    assertThat(loaded).containsOnlyKeys("a");
    assertThat(loaded.get("a").text()).isNull();
    assertThat(loaded.get("a").bytes()).containsExactly(9);

    assertThat(db.purgeExpired(now)).isEqualTo(1);
    assertThat(db.counts()).containsEntry("m", 2L).containsEntry("other", 1L);

    // more keys than one IN list holds
    List<Row> many = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < Database.MAX_IN * 2 + 7; i++) {
      many.add(new Row("many", "k" + i, "v" + i, null, null, now));
      keys.add("k" + i);
    }
    db.write(many, (r, e) -> refused.add(r));
    assertThat(db.rows("many", keys, now)).hasSize(keys.size());

    // replaying a write kept on disk never overwrites a newer version
    assertThat(db.writeIfNotNewer(new Row("m", "a", "older", null, null, now - 10))).isFalse();
    assertThat(db.writeIfNotNewer(new Row("m", "a", "newer", null, null, now + 10))).isTrue();
    assertThat(db.rows("m", List.of("a"), now).get("a").text()).isEqualTo("newer");
  }

  @Test
  void writes_kept_on_disk_by_several_nodes_are_replayed_newest_first_whatever_the_order_and_only_once() throws Exception {
    for (boolean newerFirst : new boolean[] {true, false}) {
      Database db = embedded();
      db.migrate();
      long t = System.currentTimeMillis();
      db.write(List.of(new Row("m", "k", "stored", null, null, t - 100)), (r, e) -> { });
      // The owner and the backup of a key each kept what they held when they stopped; a later change wins.
      Spill older = new Spill(dir.resolve(UUID.randomUUID().toString()));
      Spill newer = new Spill(dir.resolve(UUID.randomUUID().toString()));
      older.write(List.of(new Row("m", "k", "v1", null, null, t), new Row("m", "same", "s", null, null, t)));
      newer.write(List.of(new Row("m", "k", "v2", null, null, t + 5), new Row("m", "same", "s", null, null, t + 5)));
      Spill.Result first = (newerFirst ? newer : older).replay(db);
      Spill.Result second = (newerFirst ? older : newer).replay(db);
      assertThat(db.rows("m", List.of("k", "same"), t).get("k").text()).as("newer first: %s", newerFirst).isEqualTo("v2");
      assertThat(db.rows("m", List.of("same"), t).get("same").text()).isEqualTo("s");
      assertThat(first.written() + second.written() + first.skipped() + second.skipped()).isEqualTo(4);
      assertThat(newerFirst ? second.skipped() : 0).isEqualTo(newerFirst ? 2 : 0);
      // What a replayed row replaced in the database: the cluster's maps take it only where they still hold that.
      Spill.Replayed v1 = (newerFirst ? second : first).rows().stream().filter(r -> r.row().key().equals("k")).findFirst()
        .orElse(null);
      if (!newerFirst) {
        assertThat(v1.previous().text()).isEqualTo("stored");
      } else {
        assertThat(v1).as("the older copy is skipped").isNull();
      }
      assertThat(older.pending()).isEmpty();
      assertThat(newer.pending()).isEmpty();
      assertThat(older.replay(db).written()).as("replaying again writes nothing").isZero();
    }
  }

  private static void identity(Database db) throws Exception {
    db.migrate();
    String id = db.storeId();
    assertThat(id).hasSize(36);
    assertThat(db.migrate()).isZero();
    assertThat(db.storeId()).isEqualTo(id);
  }

  private static void poison(Database db) throws Exception {
    db.migrate();
    long now = System.currentTimeMillis();
    // a NUL character: PostgreSQL refuses it in text (22021); H2 takes it — there, an over-long map name (22001)
    Row bad = new Row("m".repeat(300), "bad\u0000key", "v", null, null, now);
    List<Row> refused = new ArrayList<>();
    db.write(List.of(new Row("m", "good1", "v", null, null, now), bad, new Row("m", "good2", "v", null, null, now)),
      (r, e) -> refused.add(r));
    assertThat(refused).containsExactly(bad);
    assertThat(db.keys("m", now)).containsExactlyInAnyOrder("good1", "good2");
  }
}
