package io.steward.campaign;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The randomized fault campaign (issue 16, docs/campaign.md). In every build: a short campaign, the fixed seeds
 * {@link #CI_SEEDS} with a {@value #CI_FAULT_SECONDS} s fault phase. Seed 33535: three nodes with
 * {@code cluster.minimumSize} 2 (the production setting under which the strict promises hold), a SIGSTOP of node1 for
 * 2 s, node3 cut off from node1 and node2 for 2 s, then a SIGKILL of node3 and its restart: a pause, a partition and a
 * kill in one run of about 80 s, one after the other (a restart that overlaps a partition of its node depends on the
 * machine's speed: seed 518 did, and the node, alone below the minimum, refused to start). Both the pause and the
 * partition are shorter than failure detection (4 s): nobody leaves the cluster. It failed 2 runs in 5 on an every-node
 * tick fired twice when the paused node's schedule fence came down, fixed since (SchedulerTest,
 * an_every_node_tick_already_due_to_fire_fires_once_when_the_fence_comes_down). Seeds that split a cluster with
 * {@code cluster.minimumSize} set fail today on genuine anomalies (8378, 14960: open findings in the notes of issue
 * 16), seeds without it lose acknowledged writes at a split brain by design, and a pause longer than a task body's 5 s
 * bus timeout delivers a timed-out attempt's effect late (seed 28): they belong to the long campaign until fixed.
 * On demand:
 * <ul>
 *   <li>{@code -Dcampaign.seeds=N}: N seeds from {@code campaign.firstSeed} (default 1), in order;</li>
 *   <li>{@code -Dcampaign.minutes=M}: seeds one after the other until M minutes have passed (with {@code seeds}: whichever
 *   ends first);</li>
 *   <li>{@code -Dcampaign.seed=S}: replays seed S alone (the same cluster size, settings, jobs, operations and fault
 *   schedule; not the same timing, so not the same interleaving);</li>
 *   <li>{@code -Dcampaign.faultSeconds=F}: the fault phase of each seed (part of what a seed decides: replay with the
 *   same F); {@code -Dcampaign.keep=true} keeps every seed's history, not only a failing one's.</li>
 * </ul>
 * Needs root (network namespaces), like {@code NetworkPartitionIT}.
 */
class CampaignIT {

  static final List<Long> CI_SEEDS = List.of(33535L);
  static final int CI_FAULT_SECONDS = 25;

  @Test
  void every_seed_of_the_campaign_keeps_every_promise_its_checkers_judge() throws Exception {
    long faultMs = Long.getLong("campaign.faultSeconds", CI_FAULT_SECONDS) * 1_000L;
    boolean keep = Boolean.getBoolean("campaign.keep");
    List<Long> seeds = new ArrayList<>();
    String one = System.getProperty("campaign.seed");
    long minutes = Long.getLong("campaign.minutes", 0);
    Integer count = Integer.getInteger("campaign.seeds");
    long first = one != null ? Long.parseLong(one) : Long.getLong("campaign.firstSeed", 1);
    long until = minutes > 0 ? System.currentTimeMillis() + minutes * 60_000 : Long.MAX_VALUE;
    List<Long> planned = new ArrayList<>();
    if (one != null) {
      planned.add(first);
    } else if (count == null && minutes == 0) {
      planned.addAll(CI_SEEDS);
    } else {
      long n = count == null ? Long.MAX_VALUE - first : count;
      for (long s = first; s - first < n && s - first < 1_000_000; s++) {
        planned.add(s);
      }
    }
    List<Campaign.Result> results = new ArrayList<>();
    for (long seed : planned) {
      if (System.currentTimeMillis() >= until) {
        break;
      }
      seeds.add(seed);
      results.add(Campaign.run(seed, faultMs, keep));
    }
    Map<String, Integer> faults = new TreeMap<>();
    results.forEach(r -> r.faultsByKind().forEach((k, v) -> faults.merge(k, v, Integer::sum)));
    List<String> failed = results.stream().filter(r -> !r.passed()).map(Campaign.Result::line).toList();
    System.out.println("CAMPAIGN SUMMARY seeds=" + seeds.size() + " (" + seeds.get(0) + ".." + seeds.get(seeds.size() - 1)
      + ") faults=" + faults + " ops=" + results.stream().mapToLong(Campaign.Result::ops).sum() + " failed=" + failed.size()
      + " anomalies=" + results.stream().mapToInt(Campaign.Result::anomalies).sum());
    assertThat(failed).as("seeds that broke a promise (history and node logs under " + Campaign.ROOT + "/<seed>/)").isEmpty();
  }
}
