package io.steward.campaign;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * No tick fired twice (README, Scheduling, "The guarantee"). Anomalies:
 * <ul>
 *   <li>one {@code (job, tick)} of a cluster-once job fired by two different nodes, unless the README's one
 *   exception covers it: both fires arrived while a {@code partition} fault separated the two nodes (or within
 *   {@code settings.mergeWindowMs} after it ended, before the merge), and the side of each firing node had at
 *   least {@code settings.minimumSize} nodes (no minimum: one), so neither side's maps refused claims; without the
 *   minimum, two nodes of one side too when the partition was shorter than failure detection (and longer than half
 *   of it): the cluster then splits after the heal, not along the partition's sides; and without the minimum any two
 *   nodes after a partition ends and before its merge window is over (the merging side's members join the other
 *   cluster one at a time). A pause, a kill, packet loss or a clock step is no exception;</li>
 *   <li>one {@code (job, tick, node)} delivered twice on the same bridge connection (any job mode). The same
 *   fire on different connections is a {@code publish} reaching every connection, not a double fire.</li>
 * </ul>
 */
final class NoTickFiredTwice implements Checker {

  @Override
  public String name() {
    return "no-tick-fired-twice";
  }

  @Override
  public List<Anomaly> check(History history) {
    Settings settings = Settings.of(history);
    Nodes nodes = new Nodes(history);
    Jobs jobs = new Jobs(history);
    List<Fault> partitions = Fault.all(history).stream().filter(f -> f.kind().equals("partition")).toList();
    Map<String, List<JsonObject>> byTick = new LinkedHashMap<>();
    for (JsonObject fire : history.ofType("fire")) {
      byTick.computeIfAbsent(fire.getString("job") + "@" + fire.getLong("tick"), k -> new ArrayList<>()).add(fire);
    }
    List<Anomaly> out = new ArrayList<>();
    for (List<JsonObject> fires : byTick.values()) {
      JsonObject first = fires.get(0);
      String job = first.getString("job");
      long tick = first.getLong("tick");
      Map<String, JsonObject> seen = new LinkedHashMap<>();
      for (JsonObject fire : fires) {
        String where = fire.getString("node") + "|" + fire.getValue("connection");
        JsonObject before = seen.putIfAbsent(where, fire);
        if (before != null) {
          out.add(new Anomaly(name(), "tick " + tick + " of job " + job + " delivered twice on one connection by node "
              + fire.getString("node"), new JsonObject().put("fires", new JsonArray().add(before).add(fire))));
        }
      }
      if (!jobs.clusterOnceAt(job, first.getLong("t"))) {
        continue;
      }
      Set<String> firing = new TreeSet<>();
      Map<String, JsonObject> firstOfNode = new LinkedHashMap<>();
      for (JsonObject fire : fires) {
        firing.add(fire.getString("node"));
        firstOfNode.putIfAbsent(fire.getString("node"), fire);
      }
      if (firing.size() < 2) {
        continue;
      }
      List<JsonObject> evidence = new ArrayList<>(firstOfNode.values());
      if (byDesign(evidence, partitions, nodes, settings)) {
        continue;
      }
      out.add(new Anomaly(name(), "tick " + tick + " of cluster-once job " + job + " fired by " + firing.size()
          + " nodes " + firing, new JsonObject().put("fires", new JsonArray(evidence))));
    }
    return out;
  }

  /** Every pair of firing nodes separated by one partition whose two sides were each big enough to claim. */
  private static boolean byDesign(List<JsonObject> fires, List<Fault> partitions, Nodes nodes, Settings settings) {
    int minimum = settings.minimumSize() == null ? 1 : settings.minimumSize();
    long from = fires.stream().mapToLong(f -> f.getLong("t")).min().orElseThrow();
    long to = fires.stream().mapToLong(f -> f.getLong("t")).max().orElseThrow();
    for (int i = 0; i < fires.size(); i++) {
      for (int j = i + 1; j < fires.size(); j++) {
        String a = nodes.name(fires.get(i).getString("node"));
        String b = nodes.name(fires.get(j).getString("node"));
        boolean covered = false;
        for (Fault p : partitions) {
          boolean sized = settings.minimumSize() == null || (sideSize(p, a) >= minimum && sideSize(p, b) >= minimum);
          // Without the minimum, a bridge node (it reaches both sides) may end in a cluster apart from nodes it
          // reaches: members follow their master's reachability, so a node that cannot reach the master removes
          // every other member, the bridge too (seed 1024: node5 alone, node3 the bridge with the other side).
          boolean apart = p.separates(a, b)
              || (settings.minimumSize() == null && !a.equals(b) && (bridges(p).contains(a) || bridges(p).contains(b)))
              || (settings.minimumSize() == null && !a.equals(b) && Fault.splitsAfterItsEnd(p, settings))
              // The merge after it: the merging side's members leave their cluster and join the other one at a time,
              // so two nodes of one side are briefly in different clusters (seed 2118: node3 and node5, both on the
              // side of three, fired one tick 15 s after the heal, while their side merged into the other).
              || (settings.minimumSize() == null && !a.equals(b) && p.end() != Long.MAX_VALUE && from > p.end()
                  && p.end() - p.start() > settings.failureDetectionMs() / 2);
          if (p.contains(from, to, settings.mergeWindowMs()) && apart && sized) {
            covered = true;
            break;
          }
        }
        if (!covered) {
          return false;
        }
      }
    }
    return true;
  }

  /** The partition's bridge nodes: those in more than one of its sides. */
  private static java.util.Set<String> bridges(Fault p) {
    java.util.Set<String> seen = new java.util.HashSet<>();
    java.util.Set<String> out = new java.util.HashSet<>();
    for (java.util.Set<String> side : p.sides()) {
      for (String n : side) {
        if (!seen.add(n)) {
          out.add(n);
        }
      }
    }
    return out;
  }

  /** How many nodes the side of {@code node} has (without recorded sides: the cut-off nodes or the rest). */
  static int sideSize(Fault p, String node) {
    List<Set<String>> sides = p.sides();
    if (!sides.isEmpty()) {
      return sides.stream().filter(s -> s.contains(node)).mapToInt(Set::size).max().orElse(0);
    }
    return -1;
  }
}
