package io.steward.campaign;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * With {@code cluster.minimumSize} set, a cluster-once job is never fired on both sides of a partition (README,
 * Scheduling: "set {@code cluster.minimumSize} to a majority … so that the minority side's maps refuse claims").
 * A tick fired by nodes on both sides is already a double fire ({@link NoTickFiredTwice}, which grants no
 * exception when a side is below the minimum). What this checker adds: the two sides must not both hold the job's
 * claim state at once, even on different ticks. A side below the minimum may go on firing only until the other
 * side takes the job over (its members must first notice the cut), so within one partition the job's fires go
 * over from one side to the other at most once, the below-minimum side first.
 *
 * <p>Anomaly: while a {@code partition} fault with recorded {@code detail.sides} is on (fires received between its
 * start and end), a node on a side with fewer than {@code settings.minimumSize} nodes fires a tick of a
 * cluster-once job later than a tick of the same job that a node on another side fired during the partition.
 * Sides that both have at least the minimum may both fire (README, Known limits: "two equal halves … both fire
 * until the merge unless {@code cluster.minimumSize} is a strict majority"); a node in two sides (a bridge) is on
 * neither. Without {@code settings.minimumSize} the checker has nothing to judge.
 */
final class NeverOnBothSides implements Checker {

  @Override
  public String name() {
    return "never-on-both-sides";
  }

  @Override
  public List<Anomaly> check(History history) {
    Settings settings = Settings.of(history);
    if (settings.minimumSize() == null) {
      return List.of();
    }
    int minimum = settings.minimumSize();
    Nodes nodes = new Nodes(history);
    Jobs jobs = new Jobs(history);
    List<JsonObject> fires = history.ofType("fire");
    List<Anomaly> out = new ArrayList<>();
    Set<String> reported = new HashSet<>();
    for (Fault p : Fault.all(history)) {
      List<Set<String>> sides = p.sides();
      if (!p.kind().equals("partition") || sides.size() < 2) {
        continue;
      }
      for (int s = 0; s < sides.size(); s++) {
        Set<String> small = sides.get(s);
        if (small.size() >= minimum) {
          continue;
        }
        for (JsonObject late : fires) {
          String lateNode = nodes.name(late.getString("node"));
          if (!p.contains(late.getLong("t"), late.getLong("t"), 0) || !onlyIn(sides, s, lateNode)
              || !jobs.clusterOnceAt(late.getString("job"), late.getLong("t"))
              || reported.contains(late.getString("job") + "@" + late.getLong("tick") + "@" + lateNode)) {
            continue;
          }
          for (JsonObject other : fires) {
            String otherNode = nodes.name(other.getString("node"));
            if (other.getString("job").equals(late.getString("job"))
                && p.contains(other.getLong("t"), other.getLong("t"), 0)
                && other.getLong("tick") < late.getLong("tick")
                && !small.contains(otherNode) && sides.stream().anyMatch(side -> side.contains(otherNode))) {
              out.add(new Anomaly(name(), "job " + late.getString("job") + " fired tick " + late.getLong("tick")
                  + " on " + lateNode + ", a side of " + small.size() + " below cluster.minimumSize " + minimum
                  + ", after " + otherNode + " on the other side had fired tick " + other.getLong("tick")
                  + ": both sides held its claim state during partition " + p.id(),
                  new JsonObject().put("fault", p.startEvent()).put("fires", new JsonArray().add(other).add(late))));
              reported.add(late.getString("job") + "@" + late.getLong("tick") + "@" + lateNode);
              break;
            }
          }
        }
      }
    }
    return out;
  }

  private static boolean onlyIn(List<Set<String>> sides, int index, String node) {
    for (int i = 0; i < sides.size(); i++) {
      if (sides.get(i).contains(node) != (i == index)) {
        return false;
      }
    }
    return true;
  }
}
