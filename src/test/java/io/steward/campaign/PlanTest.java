package io.steward.campaign;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

class PlanTest {

  private static final long FAULT_MS = 25_000;

  @Test
  void a_seed_gives_the_same_plan_every_time() {
    for (long seed = 1; seed <= 50; seed++) {
      assertThat(Plan.of(seed, FAULT_MS)).isEqualTo(Plan.of(seed, FAULT_MS));
      assertThat(Plan.of(seed, FAULT_MS).workloadSeed()).isEqualTo(Plan.of(seed, FAULT_MS).workloadSeed());
    }
  }

  @Test
  void nearby_seeds_give_every_cluster_size_from_two_to_five_and_two_and_four_most_often() {
    List<Integer> sizes = LongStream.rangeClosed(1, 400).mapToObj(s -> Plan.of(s, FAULT_MS).nodes()).toList();
    assertThat(new TreeSet<>(sizes)).containsExactly(2, 3, 4, 5);
    long two = sizes.stream().filter(n -> n == 2).count();
    long four = sizes.stream().filter(n -> n == 4).count();
    long three = sizes.stream().filter(n -> n == 3).count();
    long five = sizes.stream().filter(n -> n == 5).count();
    assertThat(Math.min(two, four)).isGreaterThan(Math.max(three, five));
  }

  @Test
  void every_fault_ends_within_the_fault_phase_and_no_two_faults_of_one_class_overlap() {
    for (long seed = 1; seed <= 300; seed++) {
      Plan plan = Plan.of(seed, FAULT_MS);
      assertThat(plan.faults()).isNotEmpty();
      for (Plan.Fault f : plan.faults()) {
        assertThat(f.atMs()).isGreaterThanOrEqualTo(0);
        assertThat(f.endMs()).as("seed %d fault %s", seed, f).isLessThanOrEqualTo(FAULT_MS);
        assertThat(f.nodes()).allMatch(i -> i >= 0 && i < plan.nodes());
        for (Plan.Fault g : plan.faults()) {
          if (f != g && f.gate().equals(g.gate())) {
            assertThat(f.endMs() <= g.atMs() || g.endMs() <= f.atMs()).as("seed %d: %s and %s overlap", seed, f, g).isTrue();
          }
        }
      }
    }
  }

  @Test
  void a_partition_s_sides_and_bridges_hold_every_node_once_and_its_detail_puts_the_bridges_in_every_side() {
    Set<String> shapes = new HashSet<>();
    for (long seed = 1; seed <= 300; seed++) {
      Plan plan = Plan.of(seed, FAULT_MS);
      for (Plan.Fault f : plan.faults()) {
        if (!f.kind().equals("partition")) {
          continue;
        }
        List<Integer> all = new java.util.ArrayList<>(f.bridges());
        f.sides().forEach(all::addAll);
        assertThat(all).as("seed %d", seed).doesNotHaveDuplicates().hasSize(plan.nodes());
        assertThat(f.sides()).hasSize(2).allMatch(side -> !side.isEmpty());
        f.detail().getJsonArray("sides").forEach(side ->
          f.bridges().forEach(b -> assertThat(((io.vertx.core.json.JsonArray) side).getList()).contains(Plan.name(b))));
        shapes.add(f.bridges().isEmpty() ? f.sides().get(0).size() + "|" + f.sides().get(1).size() : "bridge");
      }
    }
    assertThat(shapes).contains("1|1", "1|3", "2|2", "2|3", "bridge");
  }

  @Test
  void a_rolling_restart_comes_only_with_a_fault_phase_of_a_minute_or_more() {
    assertThat(LongStream.rangeClosed(1, 300).mapToObj(s -> Plan.of(s, FAULT_MS)).flatMap(p -> p.faults().stream())
      .noneMatch(f -> f.kind().equals("restart"))).isTrue();
    assertThat(LongStream.rangeClosed(1, 300).mapToObj(s -> Plan.of(s, 120_000)).flatMap(p -> p.faults().stream())
      .anyMatch(f -> f.kind().equals("restart"))).isTrue();
  }

  /** The plan as the code before netem and db-outage drew it: every field, the faults of the earlier kinds only. */
  private static String earlierDraws(Plan p) {
    StringBuilder sb = new StringBuilder().append(p.nodes()).append(p.minimumSize()).append(p.detectionSeconds()).append(p.jobs());
    for (Plan.Fault f : p.faults()) {
      if (f.kind().equals("netem") || f.kind().equals("db-outage")) {
        continue;
      }
      sb.append(f.id()).append(f.kind()).append(f.atMs()).append(f.durationMs()).append(f.nodes()).append(f.sides())
        .append(f.bridges()).append(f.skewMs());
    }
    return sb.append(p.workloadSeed()).append('\n').toString();
  }

  private static String digest(long faultMs) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (long s = 1; s <= 500; s++) {
      sb.append(earlierDraws(Plan.of(s, faultMs)));
    }
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void the_kinds_added_since_leave_every_earlier_draw_of_seeds_one_to_five_hundred_as_it_was() throws Exception {
    // digests of earlierDraws over seeds 1-500, computed with Plan.java as it was before netem and db-outage
    assertThat(digest(25_000)).isEqualTo("930f654dce6231ae88f6019c0ea4c73e2619ed8d0da8ff040c7845bed6564332");
    assertThat(digest(60_000)).isEqualTo("ef0196f2b7bac1c4c41f75fdf66be3983beb4f4fc6aa74d9aab85a5d809f3f60");
    assertThat(digest(120_000)).isEqualTo("60f3bacc5c6782fe0814f66086bc08c0a22826d9c15294511e6af59ac321d733");
  }

  @Test
  void the_ci_seed_plans_a_pause_a_partition_and_a_kill_and_nothing_else() {
    Plan plan = Plan.of(CampaignIT.CI_SEEDS.get(0), CampaignIT.CI_FAULT_SECONDS * 1_000L);
    assertThat(plan.summary()).isEqualTo(
      "nodes=3 minimumSize=2 faults=[pause(node1)@6s+2s, partition[[\"node3\"],[\"node1\",\"node2\"]]@9s+2s, kill(node3)@18s+4s]");
    assertThat(plan.store()).isFalse();
  }

  @Test
  void netem_delays_by_50_to_400_ms_with_a_jitter_of_10_to_50_percent_and_drops_5_to_30_percent_on_one_node_or_all() {
    int seeds = 0;
    Set<String> targets = new HashSet<>();
    for (long seed = 1; seed <= 400; seed++) {
      Plan plan = Plan.of(seed, FAULT_MS);
      List<Plan.Fault> netem = plan.faults().stream().filter(f -> f.kind().equals("netem")).toList();
      assertThat(netem).hasSizeLessThanOrEqualTo(1);
      for (Plan.Fault f : netem) {
        seeds++;
        Plan.Netem n = f.netem();
        assertThat(n.delayMs()).isBetween(50, 400);
        assertThat(n.jitterMs()).isBetween(n.delayMs() / 10, n.delayMs() / 2);
        assertThat(n.lossPercent()).isBetween(5, 30);
        assertThat(f.nodes().size()).as("seed %d", seed).isIn(1, plan.nodes());
        targets.add(f.nodes().size() == 1 ? "one" : "all");
        assertThat(f.detail().getInteger("delayMs")).isEqualTo(n.delayMs());
        assertThat(n.args()).containsExactly("delay", n.delayMs() + "ms", n.jitterMs() + "ms", "loss", n.lossPercent() + "%");
      }
    }
    assertThat(seeds).as("a quarter of the seeds").isBetween(60, 140);
    assertThat(targets).containsExactlyInAnyOrder("one", "all");
  }

  @Test
  void a_database_outage_comes_only_with_a_store_and_a_quarter_of_the_seeds_run_with_one() {
    int stores = 0;
    int outages = 0;
    for (long seed = 1; seed <= 400; seed++) {
      Plan plan = Plan.of(seed, FAULT_MS);
      long n = plan.faults().stream().filter(f -> f.kind().equals("db-outage")).count();
      assertThat(n).as("seed %d", seed).isLessThanOrEqualTo(plan.store() ? 1 : 0);
      stores += plan.store() ? 1 : 0;
      outages += (int) n;
    }
    assertThat(stores).isBetween(60, 140);
    assertThat(outages).isBetween(stores / 2, stores - 10);
  }

  @Test
  void every_fault_id_is_unique_and_the_earlier_kinds_keep_their_ids_in_time_order() {
    for (long seed = 1; seed <= 300; seed++) {
      Plan plan = Plan.of(seed, FAULT_MS);
      assertThat(plan.faults().stream().map(Plan.Fault::id).toList()).doesNotHaveDuplicates();
      List<Plan.Fault> earlier = plan.faults().stream().filter(Plan.Fault::earlierKind).toList();
      for (int k = 0; k < earlier.size(); k++) {
        assertThat(earlier.get(k).id()).isEqualTo(k + 1);
      }
    }
  }
}
