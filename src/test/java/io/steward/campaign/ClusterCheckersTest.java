package io.steward.campaign;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.steward.campaign.HistoryBuilder.fields;
import static org.assertj.core.api.Assertions.assertThat;

/** The checkers of answers and of the end state: documented codes, one healthy cluster, no ERROR line; and {@link Checkers}. */
class ClusterCheckersTest {

  private static HistoryBuilder base() {
    return new HistoryBuilder().settings(null, 2, 10_000);
  }

  private static JsonObject nodeFinal(String node, boolean healthy, String... members) {
    return fields("node", node, "healthy", healthy, "members", new JsonArray(List.of(members)));
  }

  @Test
  void documented_codes_and_no_answer_pass() {
    History h = base()
        .op("cache.put", 100, fields("cache", "c", "key", "k", "value", 1), "ok", 110, fields("code", 200))
        .op("cache.put", 120, fields("cache", "c", "key", "k", "value", 1), "fail", 130, fields("code", 429))
        .op("cache.put", 140, fields("cache", "c", "key", "k", "value", 1), "info", 150, fields("code", 0))
        .op("cache.put", 160, fields("cache", "c", "key", "k", "value", 1), "info", 170, fields("code", 504))
        .build();
    assertThat(new DocumentedCodes().check(h)).isEmpty();
  }

  @Test
  void an_undocumented_code_is_reported_with_its_operation() {
    History h = base()
        .op("task.submit", 100, fields("marker", "m"), "fail", 110, fields("code", 418, "message", "teapot"))
        .op("cache.put", 120, fields("cache", "c", "key", "k"), "ok", 130, fields("code", 500))
        .build();
    List<Anomaly> found = new DocumentedCodes().check(h);
    assertThat(found).hasSize(2);
    assertThat(found.get(0).what()).contains("task.submit answered 418", "teapot");
    assertThat(found.get(0).evidence().getJsonObject("completion").getInteger("code")).isEqualTo(418);
    assertThat(found.get(1).what()).contains("cache.put answered 500");
  }

  @Test
  void one_healthy_cluster_of_every_node_passes() {
    History h = base().at(9_000, "node.final", nodeFinal("n1", true, "a", "b"))
        .at(9_001, "node.final", nodeFinal("n2", true, "b", "a")).build();
    assertThat(new FinalCluster().check(h)).isEmpty();
  }

  @Test
  void an_unhealthy_node_a_split_and_a_missing_node_are_reported() {
    assertThat(new FinalCluster().check(base().at(9_000, "node.final", nodeFinal("n1", false, "a", "b"))
        .at(9_001, "node.final", nodeFinal("n2", true, "a", "b")).build()))
        .singleElement().satisfies(a -> assertThat(a.what()).contains("n1 is not healthy"));
    assertThat(new FinalCluster().check(base().at(9_000, "node.final", nodeFinal("n1", true, "a", "b"))
        .at(9_001, "node.final", nodeFinal("n2", true, "a", "c")).build()))
        .singleElement().satisfies(a -> assertThat(a.what()).contains("list different members"));
    assertThat(new FinalCluster().check(base().at(9_000, "node.final", nodeFinal("n1", true, "a")).build()))
        .extracting(Anomaly::what)
        .anySatisfy(w -> assertThat(w).contains("1 nodes answered at the end, expected 2"))
        .anySatisfy(w -> assertThat(w).contains("lists 1 members, expected 2"));
  }

  @Test
  void every_error_line_is_an_anomaly() {
    assertThat(new NoErrorLines().check(base().build())).isEmpty();
    History h = base().at(9_000, "log.error", "node", "n2", "line", "12:00:00 ERROR io.steward.X - boom").build();
    assertThat(new NoErrorLines().check(h)).singleElement().satisfies(a -> {
      assertThat(a.what()).contains("n2", "boom");
      assertThat(a.evidence().getString("line")).contains("ERROR");
    });
  }

  /** Seed 2160: the one ERROR of a node whose migrations were stuck, which then stopped itself (exit code 70). */
  @Test
  void the_stuck_migration_error_of_a_node_that_then_stopped_itself_is_excused_once() {
    String stuck = "2026-12-07T16:19:31.000Z ERROR [vert.x-eventloop-thread-1] io.steward.spi.StuckMigration - Hazelcast's "
      + "partition migration on this member has been stuck in a promotion commit for 60000 ms (...)";
    assertThat(new NoErrorLines().check(base().at(9_000, "node.exit", "node", "n2", "code", 70)
      .at(9_500, "log.error", "node", "n2", "line", stuck).build())).isEmpty();
    assertThat(new NoErrorLines().check(base().at(9_000, "node.exit", "node", "n2", "code", 70)
      .at(9_500, "log.error", "node", "n2", "line", stuck).at(9_600, "log.error", "node", "n2", "line", stuck).build()))
      .as("a second one").hasSize(1);
    assertThat(new NoErrorLines().check(base().at(9_500, "log.error", "node", "n2", "line", stuck).build()))
      .as("no exit: the node stayed stuck").hasSize(1);
    assertThat(new NoErrorLines().check(base().at(9_000, "node.exit", "node", "n1", "code", 70)
      .at(9_500, "log.error", "node", "n2", "line", stuck).build())).as("another node's exit").hasSize(1);
  }

  private static String storeLine(long t) {
    return java.time.Instant.ofEpochMilli(HistoryBuilder.WALL0 + t) + " ERROR [steward-store] io.steward.store.Store - Store: the "
      + "postgres database at jdbc:postgresql://10.1.1.254:5432/s is unreachable (Connection is not available). Steward keeps working";
  }

  private static HistoryBuilder outage(long from, long to) {
    JsonObject f = new JsonObject().put("fault", "4").put("kind", "db-outage").put("nodes", new io.vertx.core.json.JsonArray())
      .put("detail", new JsonObject());
    return base().at(from, "fault.start", f).at(to, "fault.end", f);
  }

  @Test
  void the_store_s_unreachable_error_of_a_connection_attempt_begun_in_the_outage_is_excused_after_it() {
    // Seed 1016 (long campaign of 2026-12-07): node1 first touched the database 5 s into the outage; its connection
    // attempt timed out (store.connectTimeoutMs, 5 s) 1.1 s after the outage ended, and it logged the line then.
    assertThat(new NoErrorLines().check(outage(1_000, 6_000).at(9_000, "log.error", "node", "n1", "line", storeLine(7_100)).build()))
      .isEmpty();
    assertThat(new NoErrorLines().check(outage(1_000, 6_000).at(13_000, "log.error", "node", "n1", "line", storeLine(11_900)).build()))
      .isEmpty();
  }

  @Test
  void the_store_s_unreachable_error_of_a_node_paused_through_the_outage_is_excused_as_it_resumes() {
    // Seed 2435: node5 began a connection attempt inside the outage, was paused before it timed out and resumed 6.6 s
    // after the outage had ended; the attempt's timeout had passed while it was frozen, so it logged the line at once.
    JsonObject pause = new JsonObject().put("fault", "1").put("kind", "pause").put("nodes", new io.vertx.core.json.JsonArray().add("n1"))
      .put("detail", new JsonObject());
    java.util.function.Function<String, History> lineOf = node -> outage(1_000, 6_000)
      .at(2_000, "fault.start", pause).at(15_000, "fault.end", pause)
      .at(16_000, "log.error", "node", node, "line", storeLine(15_050)).build();
    assertThat(new NoErrorLines().check(lineOf.apply("n1"))).as("the paused node's line").isEmpty();
    assertThat(new NoErrorLines().check(lineOf.apply("n2"))).as("a node that was not paused").hasSize(1);
  }

  @Test
  void the_store_s_one_unreachable_error_per_node_during_a_database_outage_is_excused() {
    History h = outage(1_000, 6_000)
      .at(9_000, "log.error", "node", "n1", "line", storeLine(2_500))
      .at(9_001, "log.error", "node", "n2", "line", storeLine(6_900).replace("[steward-store]", "[hz.elated_meninsky.cached.thread-14]"))
      .build();
    assertThat(new NoErrorLines().check(h)).isEmpty();
  }

  private static String storeLine(long t, String message) {
    return java.time.Instant.ofEpochMilli(HistoryBuilder.WALL0 + t) + " ERROR [vert.x-worker-thread-4] io.steward.store.Store - Store: "
      + message;
  }

  /**
   * Seed 2069: the campaign restarted node2 (a clock fault) while the database was down; as it left it kept what the
   * database could not take on disk and said so with ERRORs (docs/durability.md), a second "unreachable" among them.
   */
  @Test
  void the_store_s_errors_of_a_node_the_campaign_stopped_during_an_outage_are_excused() {
    JsonObject clock = new JsonObject().put("fault", "1").put("kind", "clock").put("nodes", new io.vertx.core.json.JsonArray().add("n2"))
      .put("detail", new JsonObject().put("skewMs", 19_000));
    java.util.function.Function<Long, HistoryBuilder> stoppedAt = stop -> outage(1_000, 6_000)
      .at(stop, "fault.start", clock).at(40_000, "fault.end", clock);
    String spilled = "the database is down while this node leaves: what it could not write is kept in /d/unstored";
    String kept = "2 write(s) made while leaving; 19 the database could not take kept on disk in /d/unstored";
    History h = stoppedAt.apply(1_200L)
      .at(50_000, "log.error", "node", "n2", "line", storeLine(2_000))
      .at(50_001, "log.error", "node", "n2", "line", storeLine(9_000, spilled))
      .at(50_002, "log.error", "node", "n2", "line", storeLine(12_000).replace("[steward-store]", "[hz.x.cached.thread-5]"))
      .at(50_003, "log.error", "node", "n2", "line", storeLine(12_030, kept)).build();
    assertThat(new NoErrorLines().check(h)).isEmpty();
    assertThat(new NoErrorLines().check(stoppedAt.apply(20_000L).at(50_001, "log.error", "node", "n2", "line",
        storeLine(25_000, spilled)).build())).as("stopped after the outage: its own lines say the database is down").hasSize(1);
    assertThat(new NoErrorLines().check(stoppedAt.apply(730L).at(50_001, "log.error", "node", "n2", "line",
        storeLine(6_100, spilled)).build())).as("seed 2388: stopped 270 ms before the outage began, still leaving (its "
        + "drain and graceful leave) when the database went down").isEmpty();
    assertThat(new NoErrorLines().check(stoppedAt.apply(1_200L).at(50_001, "log.error", "node", "n1", "line",
        storeLine(9_000, spilled)).build())).as("another node").hasSize(1);
    assertThat(new NoErrorLines().check(stoppedAt.apply(1_200L).at(50_001, "log.error", "node", "n2", "line",
        storeLine(9_000, "the database refused entry k (22001)")).build())).as("another store ERROR").hasSize(1);
  }

  @Test
  void the_store_s_unreachable_error_outside_an_outage_twice_in_one_or_another_error_during_one_is_counted() {
    assertThat(new NoErrorLines().check(base().at(9_000, "log.error", "node", "n1", "line", storeLine(2_500)).build()))
      .as("no outage").hasSize(1);
    assertThat(new NoErrorLines().check(outage(1_000, 6_000).at(13_000, "log.error", "node", "n1", "line", storeLine(12_100)).build()))
      .as("6.1 s after the outage ended: later than a connection attempt begun inside it can fail").hasSize(1);
    assertThat(new NoErrorLines().check(outage(1_000, 6_000).at(9_000, "log.error", "node", "n1", "line", storeLine(900)).build()))
      .as("before it began").hasSize(1);
    assertThat(new NoErrorLines().check(outage(1_000, 6_000).at(9_000, "log.error", "node", "n1", "line", storeLine(2_000))
      .at(9_001, "log.error", "node", "n1", "line", storeLine(4_000)).build()))
      .as("a second line of one node in one outage").hasSize(1);
    String other = java.time.Instant.ofEpochMilli(HistoryBuilder.WALL0 + 2_000)
      + " ERROR [steward-store] io.steward.store.Store - Store: the database refused entry k (22001)";
    assertThat(new NoErrorLines().check(outage(1_000, 6_000).at(9_000, "log.error", "node", "n1", "line", other).build()))
      .as("another store ERROR during the outage").hasSize(1);
    assertThat(new NoErrorLines().check(outage(1_000, 6_000).at(9_000, "log.error", "node", "n1", "line",
      storeLine(2_000).replace("io.steward.store.Store", "io.steward.cache.Caches")).build()))
      .as("the same words from another logger").hasSize(1);
    JsonObject partition = new JsonObject().put("fault", "1").put("kind", "partition").put("nodes", new io.vertx.core.json.JsonArray())
      .put("detail", new JsonObject());
    assertThat(new NoErrorLines().check(base().at(1_000, "fault.start", partition).at(6_000, "fault.end", partition)
      .at(9_000, "log.error", "node", "n1", "line", storeLine(2_500)).build()))
      .as("during a fault of another kind").hasSize(1);
  }

  @Test
  void the_campaign_runs_every_checker_and_a_history_a_checker_cannot_read_is_an_anomaly() {
    assertThat(Checkers.all()).extracting(Checker::name).doesNotHaveDuplicates().hasSize(12);
    History quiet = base().at(9_000, "node.final", nodeFinal("n1", true, "a", "b"))
        .at(9_001, "node.final", nodeFinal("n2", true, "a", "b")).build();
    assertThat(Checkers.run(quiet)).isEmpty();
    History broken = base().at(100, "fire", "job", "j", "tick", "not a number", "node", "n1", "connection", "c")
        .at(9_000, "node.final", nodeFinal("n1", true, "a", "b"))
        .at(9_001, "node.final", nodeFinal("n2", true, "a", "b")).build();
    assertThat(Checkers.run(broken)).extracting(Anomaly::what)
        .anySatisfy(w -> assertThat(w).startsWith("the checker could not read the history"));
  }

  /** Seed 1007: a WARN whose text mentions an ERROR is no ERROR line; the level field decides. */
  @Test
  void a_log_line_is_an_error_line_by_its_level_field_only() {
    assertThat(Campaign.isErrorLine("2026-12-07T08:28:46.530Z ERROR [hz.x.priority-generic-operation.thread-0] "
      + "c.h.i.c.i.o.LockClusterStateOp - Can not lock cluster state!")).isTrue();
    assertThat(Campaign.isErrorLine("2026-12-07T08:31:17.870Z WARN  [hz.x.thread-0] com.hazelcast.security - Library "
      + "line '…' (join-refused): … or io.steward.Main's ERROR (Steward could not start) says why")).isFalse();
    assertThat(Campaign.isErrorLine("\tat io.steward.Main.main(Main.java:1) ERROR ")).isFalse();
    assertThat(Campaign.isErrorLine("")).isFalse();
  }
}
