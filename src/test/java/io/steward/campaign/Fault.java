package io.steward.campaign;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One fault of the nemesis, from its {@code fault.start} to its {@code fault.end} (a fault with no end lasts to the
 * {@code quiet} event, or to the end of the history). Times on the observer's monotonic clock ({@code t}) and wall
 * clock ({@code wall}).
 */
record Fault(String id, String kind, Set<String> nodes, JsonObject detail, long start, long end, long startWall,
             long endWall, JsonObject startEvent) {

  /** Whether {@code [from, to]} meets this fault's window widened by {@code graceMs} after its end. */
  boolean overlaps(long from, long to, long graceMs) {
    long until = end == Long.MAX_VALUE ? end : end + graceMs;
    return from <= until && to >= start;
  }

  /** Whether {@code [from, to]} lies inside this fault's window widened by {@code graceMs} after its end. */
  boolean contains(long from, long to, long graceMs) {
    long until = end == Long.MAX_VALUE ? end : end + graceMs;
    return from >= start && to <= until;
  }

  boolean overlapsWall(long from, long to, long graceMs) {
    long until = endWall == Long.MAX_VALUE ? endWall : endWall + graceMs;
    return from <= until && to >= startWall;
  }

  /** A partition's sides (node names), from {@code detail.sides}; empty when the nemesis did not record them. */
  List<Set<String>> sides() {
    List<Set<String>> out = new ArrayList<>();
    JsonArray sides = detail.getJsonArray("sides");
    if (sides != null) {
      for (Object side : sides) {
        Set<String> names = new HashSet<>();
        for (Object n : (JsonArray) side) {
          names.add(String.valueOf(n));
        }
        out.add(names);
      }
    }
    return out;
  }

  /** Whether the partition puts node names {@code a} and {@code b} on different sides (neither bridging them). */
  boolean separates(String a, String b) {
    List<Set<String>> sides = sides();
    if (sides.isEmpty()) {
      return nodes.contains(a) != nodes.contains(b);
    }
    for (Set<String> side : sides) {
      if (side.contains(a) && side.contains(b)) {
        return false;
      }
    }
    return sides.stream().anyMatch(s -> s.contains(a)) && sides.stream().anyMatch(s -> s.contains(b));
  }

  /** A partition's bridge nodes: those in more than one of its sides (they reach both). */
  Set<String> bridges() {
    Set<String> seen = new HashSet<>();
    Set<String> out = new HashSet<>();
    for (Set<String> side : sides()) {
      for (String n : side) {
        if (!seen.add(n)) {
          out.add(n);
        }
      }
    }
    return out;
  }

  /**
   * The times when two different nodes were killed at once, so Hazelcast's one backup may not hold a copy (README:
   * "One backup means one node may die at a time"; {@code backupCount}: "losing that many members at once loses
   * nothing"): each {@code [from, to]} is where the windows of two {@code kill} faults on different nodes, each
   * widened by {@code graceMs} after its end (the restarted node takes its replicas a few seconds after it joins),
   * overlap; and, without {@code cluster.minimumSize}, where a kill meets a fault that may have split the cluster
   * ({@link #removals}) of another node, each widened the same way: a removed node is gone to the others too; and where
   * a kill meets a {@code restart} or {@code clock} fault of another node (stopped cleanly, then back without its
   * replicas), widened the same way.
   */
  static List<long[]> doubleLosses(History history, long graceMs) {
    List<Fault> kills = all(history).stream().filter(f -> f.kind().equals("kill")).toList();
    List<long[]> out = new ArrayList<>();
    for (int i = 0; i < kills.size(); i++) {
      for (int j = i + 1; j < kills.size(); j++) {
        Fault a = kills.get(i);
        Fault b = kills.get(j);
        if (a.nodes().equals(b.nodes()) && a.nodes().size() == 1) {
          continue;
        }
        addOverlap(out, a, b, graceMs);
      }
      if (kills.get(i).nodes().size() > 1) {
        Fault a = kills.get(i);
        out.add(new long[] {a.start(), a.end() == Long.MAX_VALUE ? a.end() : a.end() + graceMs});
      }
    }
    // A node stopped cleanly (a restart or clock fault) leaves the others one copy of what it held; once back it takes
    // its replicas a few seconds after it joins. Another node killed before that is a second loss (seed 2135: two
    // nodes, node1 back from a clock fault's restart, node2 killed 10 ms later; README, Guarantees: "a second member
    // lost before the cluster is safe again after the first").
    for (Fault stop : all(history)) {
      if (!stop.kind().equals("restart") && !stop.kind().equals("clock")) {
        continue;
      }
      for (Fault k : kills) {
        if (stop.nodes().containsAll(k.nodes())) {
          continue;
        }
        addOverlap(out, stop, k, graceMs);
      }
    }
    // A node the others removed (a split) is as gone to them as a dead one: without cluster.minimumSize a side
    // acknowledges writes with no backup on the other side, and a kill on that side before the merge loses them (seed
    // 1045: node2 paused past failure detection, node1 alone acknowledged durable submits, then was killed); with it,
    // the side that keeps the minimum holds one copy of what the removed nodes held until its backups are rebuilt, and
    // a kill on it meanwhile loses partitions (seed 2174: node5 cut off, node4 killed 1.4 s after the removal: 34
    // partitions lost, a task key's binding with them).
    Settings settings = Settings.of(history);
    for (Fault split : removals(history)) {
      // With the minimum only a side that keeps it acknowledges anything: the kill must be of one of its nodes.
      java.util.function.Predicate<String> kept = settings.minimumSize() == null ? n -> true
          : settings.nodes() <= 0 ? null : quorumWithout(split, settings.nodes(), settings.minimumSize());
      if (kept == null) {
        continue;
      }
      for (Fault k : kills) {
        if ((split.kind().equals("pause") && split.nodes().equals(k.nodes())) || !k.nodes().stream().allMatch(kept)) {
          continue;
        }
        addOverlap(out, split, k, graceMs);
      }
    }
    return out;
  }

  /** Adds where the windows of {@code a} and {@code b}, each widened by {@code graceMs} after its end, overlap. */
  private static void addOverlap(List<long[]> out, Fault a, Fault b, long graceMs) {
    long aEnd = a.end() == Long.MAX_VALUE ? a.end() : a.end() + graceMs;
    long bEnd = b.end() == Long.MAX_VALUE ? b.end() : b.end() + graceMs;
    long from = Math.max(a.start(), b.start());
    long to = Math.min(aEnd, bEnd);
    if (from <= to) {
      out.add(new long[] {from, to});
    }
  }

  /**
   * The faults that made the others remove nodes, with or without {@code cluster.minimumSize} (none when the history
   * does not record failure detection): {@link #splits}'s pauses and partitions.
   */
  static List<Fault> removals(History history) {
    long detection = Settings.of(history).failureDetectionMs();
    if (detection <= 0) {
      return List.of();
    }
    return all(history).stream().filter(f -> f.end() != Long.MAX_VALUE)
        .filter(f -> (f.kind().equals("pause") && f.end() - f.start() > detection)
            || (f.kind().equals("partition") && f.end() - f.start() > detection / 2))
        .toList();
  }

  /**
   * The faults that may have split the cluster in two without {@code cluster.minimumSize} (none with it, or when the
   * history does not record failure detection): a pause longer than failure detection (the others remove the node,
   * which forms a cluster of its own when it resumes), and a partition longer than half of it. The members' silence
   * outlasts a partition: TCP's retransmission backoff delays the first packets after it heals (campaign seed 1021:
   * a 3.2 s partition, heartbeats silent 4.6 s, over the 4 s failure detection).
   */
  static List<Fault> splits(History history) {
    Settings settings = Settings.of(history);
    long detection = settings.failureDetectionMs();
    if (settings.minimumSize() != null || detection <= 0) {
      return List.of();
    }
    return all(history).stream().filter(f -> f.end() != Long.MAX_VALUE)
        .filter(f -> (f.kind().equals("pause") && f.end() - f.start() > detection)
            || (f.kind().equals("partition") && f.end() - f.start() > detection / 2))
        .toList();
  }

  /**
   * With {@code cluster.minimumSize}, the one loss docs/cache.md names ("a removed member's copy, merged into after a
   * second fault"; only where the merge cannot see which copy is newer: {@link #staleMergeMayLose}): a first fault removes nodes X from the others while the others keep the minimum (a pause
   * of X longer than failure detection, the other nodes at least the minimum; a partition longer than half of it, one
   * side at least the minimum, X the nodes off that side), and a second fault that may split the cluster (the same
   * kinds and lengths) starts after the first does and before it ends plus {@code graceMs}, and leaves a node of the
   * others in a part below the minimum (that node paused, or on a partition side smaller than the minimum). X, still
   * holding its copy from before its removal, and such a node may then merge into X's side, and the writes the others
   * acknowledged while X was away are lost. Each {@code [from, to]} runs from the first fault's start to the later
   * end of the two, plus {@code graceMs}. Empty without the minimum (there {@link #splits} names the loss), or when
   * the history does not record failure detection or the number of nodes. The second fault may also be a member of
   * the others leaving (a {@code kill}, {@code restart} or {@code clock} fault of it that meets the first fault's window)
   * so that the rest of them are below the minimum; that window ends with the first fault's, plus {@code graceMs}.
   */
  static List<long[]> staleMemberMerges(History history, long graceMs) {
    Settings settings = Settings.of(history);
    long detection = settings.failureDetectionMs();
    Integer min = settings.minimumSize();
    if (min == null || detection <= 0 || settings.nodes() <= 0) {
      return List.of();
    }
    int nodes = settings.nodes();
    List<Fault> all = all(history);
    List<Fault> faults = all.stream().filter(f -> f.end() != Long.MAX_VALUE)
        .filter(f -> (f.kind().equals("pause") && f.end() - f.start() > detection)
            || (f.kind().equals("partition") && f.end() - f.start() > detection / 2))
        .toList();
    List<Fault> stops = all.stream()
        .filter(f -> f.kind().equals("kill") || f.kind().equals("restart") || f.kind().equals("clock")).toList();
    List<long[]> out = new ArrayList<>();
    for (Fault first : faults) {
      Quorum kept = quorum(first, nodes, min);
      if (kept == null) {
        continue;
      }
      java.util.function.Predicate<String> quorum = kept.member();
      for (Fault second : faults) {
        if (second == first || second.start() < first.start() || second.start() > first.end() + graceMs) {
          continue;
        }
        boolean strands = second.kind().equals("pause")
            ? second.nodes().stream().anyMatch(quorum)
            : second.sides().stream().anyMatch(side -> side.size() < min && side.stream().anyMatch(quorum));
        if (strands) {
          out.add(new long[] {first.start(), Math.max(first.end(), second.end()) + graceMs});
        }
      }
      // A member of the side that kept the minimum leaving it (killed, or stopped for a restart or a clock fault, whose
      // graceful leave may last well into the first fault: seed 2329) leaves the others below the minimum too.
      for (Fault stop : stops) {
        if (stop.start() > first.end() + graceMs || stop.end() < first.start()) {
          continue;
        }
        long leaving = stop.nodes().stream().filter(quorum).count();
        if (leaving > 0 && kept.size() - leaving < min) {
          out.add(new long[] {first.start(), first.end() + graceMs});
        }
      }
    }
    return out;
  }

  /**
   * Without the minimum, a partition shorter than failure detection but longer than half of it: the members' silence
   * outlasts it (TCP's retransmission backoff delays the first packets after it heals: {@link Fault#splits}), so the
   * removals come after the heal, in whatever shape the first heartbeats to arrive decide, not along the partition's
   * sides: two nodes of one side may end in different clusters (seed 2071: node2 and node4, on one side of a 7.6 s
   * partition with 8 s failure detection, fired the same ticks 2-3 s after it healed, and one fired a job
   * the other had deleted).
   */
  static boolean splitsAfterItsEnd(Fault p, Settings settings) {
    long detection = settings.failureDetectionMs();
    long length = p.end() - p.start();
    return detection > 0 && p.end() != Long.MAX_VALUE && length > detection / 2 && length < detection;
  }

  /**
   * Without the minimum, whether what {@code node} acknowledged at {@code at}, during a partition that cut it off with
   * its side (not a bridge), or after a pause of its own past failure detection and before it merged back (it is a
   * side of its own then: seed 2102), may have been lost with that side: every node of the side was killed after {@code at}, or
   * stopped by a {@code restart} or {@code clock} fault during the partition (a stopping node answers until it exits),
   * before the merge (the partition's end + {@code mergeWindowMs}). A side that acknowledged a write alone held it
   * alone (README, Guarantees: "a node a split left alone acknowledges submits with no backup, and its death before the
   * merge loses them"; seeds 2043, 2044: a job's delete; 2083: durable submits answered by a node leaving for a clock
   * fault).
   */
  static boolean sideLost(History history, String node, long at) {
    Settings settings = Settings.of(history);
    if (settings.minimumSize() != null) {
      return false;
    }
    List<Fault> all = all(history);
    long detection = settings.failureDetectionMs();
    for (Fault p : all) {
      Set<String> side;
      if (p.kind().equals("pause")) {
        // The paused node, removed by the others, alone when it resumes: a side of its own until it merges back.
        if (detection <= 0 || p.end() - p.start() <= detection || !p.nodes().contains(node) || at < p.start()
            || p.end() == Long.MAX_VALUE || at > p.end() + settings.mergeWindowMs()) {
          continue;
        }
        side = Set.of(node);
      } else {
        if (!p.kind().equals("partition") || at < p.start() || at > p.end() || p.bridges().contains(node)) {
          continue;
        }
        side = p.sides().stream().filter(x -> x.contains(node)).findFirst().orElse(null);
        if (side == null || side.isEmpty()) {
          continue;
        }
      }
      long mergeBy = p.end() == Long.MAX_VALUE ? Long.MAX_VALUE : p.end() + settings.mergeWindowMs();
      boolean lost = side.stream().allMatch(n -> all.stream().anyMatch(k -> k.nodes().contains(n) && k.start() <= mergeBy
          && (k.kind().equals("kill") ? k.start() >= at
              : (k.kind().equals("restart") || k.kind().equals("clock")) && k.start() >= p.start())));
      if (lost) {
        return true;
      }
    }
    return false;
  }

  /**
   * Without the minimum, whether {@code node} was (re)started while partition {@code p}'s split was healed but
   * unmerged: a {@code kill}, {@code restart} or {@code clock} fault of it ended (the node was up again) after the
   * partition ended and before its merge (its end + {@code mergeWindowMs}). A starting node joins the cluster of the
   * first member that answers its join, so until the merge it may be on either side, whatever side it was on before
   * (during the partition the network keeps it on its own) (seed 2130: n3, of
   * the majority, killed during the split and restarted after the heal, joined the cut-off n2's cluster and fired n2's
   * copy of a job the majority had deleted).
   */
  static boolean rejoinedUnmerged(List<Fault> all, Fault p, String node, Settings settings) {
    if (settings.minimumSize() != null || !p.kind().equals("partition") || p.end() == Long.MAX_VALUE) {
      return false;
    }
    long mergeBy = p.end() + settings.mergeWindowMs();
    return all.stream().anyMatch(k -> (k.kind().equals("kill") || k.kind().equals("restart") || k.kind().equals("clock"))
        && k.nodes().contains(node) && k.end() != Long.MAX_VALUE && k.end() > p.end() && k.end() <= mergeBy);
  }

  /**
   * Whether a stale member's merge in {@code window} ({@link #staleMemberMerges}) may still lose acknowledged writes of
   * a key whose writes are {@code keyOps}: the merge keeps the copy written on top of the stale one (docs/cache.md,
   * Known limits), unless descent is not known: 31 or more writes of the key that may have applied in the window (an
   * entry knows its last 32 writes), or one whose outcome is unknown (the stale side's writes are each answered 504;
   * such a write makes both copies written since they parted).
   */
  static boolean staleMergeMayLose(List<Op> keyOps, long[] window) {
    int mayHaveApplied = 0;
    for (Op w : keyOps) {
      if (!w.mayHaveApplied() || w.settledAt() < window[0] || w.invokedAt() > window[1]) {
        continue;
      }
      if (w.status() != Op.Status.OK) {
        return true;
      }
      mayHaveApplied++;
    }
    return mayHaveApplied >= 31;
  }

  /** The nodes that keep the minimum while a fault removes the others: a test of membership, and how many they are. */
  private record Quorum(java.util.function.Predicate<String> member, int size) {
  }

  /** Who keeps the minimum while {@code f} removes the others (of {@code nodes} in all), or null when nobody does. */
  private static Quorum quorum(Fault f, int nodes, int min) {
    if (f.kind().equals("pause")) {
      int rest = nodes - f.nodes().size();
      return rest >= min && rest < nodes ? new Quorum(n -> !f.nodes().contains(n), rest) : null;
    }
    for (Set<String> side : f.sides()) {
      if (side.size() >= min && side.size() < nodes) {
        return new Quorum(side::contains, side.size());
      }
    }
    return null;
  }

  /** Whether a node is among those that keep the minimum while {@code f} removes the others, or null ({@link #quorum}). */
  private static java.util.function.Predicate<String> quorumWithout(Fault f, int nodes, int min) {
    Quorum q = quorum(f, nodes, min);
    return q == null ? null : q.member();
  }

  static List<Fault> all(History history) {
    long quietT = Long.MAX_VALUE;
    long quietWall = Long.MAX_VALUE;
    for (JsonObject e : history.ofType("quiet")) {
      quietT = e.getLong("t");
      quietWall = e.getLong("wall", Long.MAX_VALUE);
    }
    Map<String, JsonObject> ends = new LinkedHashMap<>();
    for (JsonObject e : history.ofType("fault.end")) {
      ends.putIfAbsent(e.getString("fault"), e);
    }
    List<Fault> out = new ArrayList<>();
    for (JsonObject s : history.ofType("fault.start")) {
      JsonObject end = ends.get(s.getString("fault"));
      Set<String> nodes = new HashSet<>();
      JsonArray names = s.getJsonArray("nodes", new JsonArray());
      for (Object n : names) {
        nodes.add(String.valueOf(n));
      }
      out.add(new Fault(s.getString("fault"), s.getString("kind"), nodes, s.getJsonObject("detail", new JsonObject()),
          s.getLong("t"), end == null ? quietT : end.getLong("t"), s.getLong("wall", 0L),
          end == null ? quietWall : end.getLong("wall", Long.MAX_VALUE), s));
    }
    out.addAll(stuckMembers(history, out));
    return out;
  }

  /**
   * A node that stopped itself because its Hazelcast migrations were stuck ({@code node.exit} with code 70,
   * docs/operations.md: a promotion cut by a pause; seed 2160) was a side of its own from the first pause or
   * partition of it before the exit until the exit: it could not merge back. As a partition with that node alone on
   * one side (detail {@code stuck: true}), so that every checker's split-brain rules apply to it.
   */
  private static List<Fault> stuckMembers(History history, List<Fault> injected) {
    Set<String> names = new java.util.TreeSet<>();
    history.ofType("node.up").forEach(e -> names.add(e.getString("node")));
    List<Fault> out = new ArrayList<>();
    for (JsonObject exit : history.ofType("node.exit")) {
      if (exit.getInteger("code", 0) != io.steward.spi.StuckMigration.EXIT_CODE) {
        continue;
      }
      String node = exit.getString("node");
      long at = exit.getLong("t");
      long start = injected.stream().filter(f -> (f.kind().equals("pause") || f.kind().equals("partition"))
          && f.nodes().contains(node) && f.start() < at).mapToLong(Fault::start).min().orElse(at);
      Set<String> others = new java.util.TreeSet<>(names);
      others.remove(node);
      JsonObject detail = new JsonObject().put("stuck", true)
          .put("sides", new JsonArray().add(new JsonArray().add(node)).add(new JsonArray(new ArrayList<>(others))));
      long startWall = exit.getLong("wall", 0L) - (at - start);
      out.add(new Fault("stuck-" + node + "-" + at, "partition", Set.of(node), detail, start, at, startWall,
          exit.getLong("wall", Long.MAX_VALUE), exit));
    }
    return out;
  }
}
