package io.steward.campaign;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
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
          if (f != g && f.down() == g.down()) {
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
}
