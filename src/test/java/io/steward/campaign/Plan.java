package io.steward.campaign;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Everything a seed decides, before anything runs: the cluster's size and settings, the jobs, and the fault schedule.
 * A pure function of the seed (and the fault phase's length), so {@code -Dcampaign.seed=S} replays the same schedule.
 * The workload's operations come from their own generator, seeded with {@link #workloadSeed()}.
 */
record Plan(long seed, int nodes, Integer minimumSize, int detectionSeconds, long faultPhaseMs, List<Fault> faults,
            List<Job> jobs, boolean store) {

  /** Kinds the nemesis knows (docs/campaign.md). */
  static final List<String> KINDS = List.of("kill", "pause", "partition", "clock", "restart", "netem", "db-outage");

  /**
   * The second generator's salt: netem, the store and db-outage are drawn from {@code mix(seed ^ EXTRAS)}, after and
   * apart from the first generator's draws, so that adding them changed no earlier seed's cluster, jobs or faults.
   */
  static final long EXTRAS = 0x5EED_0016_0E7E_0001L;

  /** One fault: starts {@code atMs} after the fault phase began, lasts {@code durationMs}. */
  record Fault(int id, String kind, long atMs, long durationMs, List<Integer> nodes, List<List<Integer>> sides,
               List<Integer> bridges, long skewMs, Netem netem) {

    Fault(int id, String kind, long atMs, long durationMs, List<Integer> nodes, List<List<Integer>> sides,
          List<Integer> bridges, long skewMs) {
      this(id, kind, atMs, durationMs, nodes, sides, bridges, skewMs, null);
    }

    /** A kill, pause, clock fault or restart takes a node down: at most one at a time, so one synchronous backup is enough. */
    boolean down() {
      return !kind.equals("partition") && !kind.equals("netem") && !kind.equals("db-outage");
    }

    /** The nemesis's class of this fault: at most one fault of a class holds at a time. */
    String gate() {
      return down() ? "down" : kind;
    }

    /** A kind the plan drew before netem and db-outage existed (from the first generator). */
    boolean earlierKind() {
      return !kind.equals("netem") && !kind.equals("db-outage");
    }

    long endMs() {
      return atMs + durationMs;
    }

    JsonObject detail() {
      JsonObject d = new JsonObject().put("plannedAtMs", atMs).put("plannedMs", durationMs);
      if (kind.equals("clock")) {
        d.put("skewMs", skewMs);
      }
      if (netem != null) {
        d.put("delayMs", netem.delayMs).put("jitterMs", netem.jitterMs).put("lossPercent", netem.lossPercent);
      }
      if (sides != null) {
        // each side with the bridge nodes, which reach every side (docs/campaign.md)
        d.put("sides", new JsonArray(sides.stream().map(s -> {
          List<String> names = new ArrayList<>(s.stream().map(Plan::name).toList());
          bridges.forEach(b -> names.add(name(b)));
          return new JsonArray(names);
        }).toList()));
        d.put("bridges", new JsonArray(bridges.stream().map(Plan::name).toList()));
      }
      return d;
    }
  }

  /**
   * {@code tc netem} on each named node's links, both ways (its own veth and its port on the switch): every packet
   * to or from the node waits {@code delayMs} ± {@code jitterMs} and is dropped with {@code lossPercent} %.
   */
  record Netem(int delayMs, int jitterMs, int lossPercent) {

    /** The arguments of {@code tc qdisc replace dev D root netem …}. */
    List<String> args() {
      return List.of("delay", delayMs + "ms", jitterMs + "ms", "loss", lossPercent + "%");
    }
  }

  /** A job the campaign puts at the start; {@code deleteAtMs} ≥ 0: deleted that long into the fault phase. */
  record Job(String name, String mode, long everyMs, String overlap, String misfire, long deleteAtMs) {
  }

  static String name(int index) {
    return "node" + (index + 1);
  }

  static Plan of(long seed, long faultPhaseMs) {
    Random r = new Random(mix(seed)); // java.util.Random's first draws of nearby seeds are alike: spread them
    int[] sizes = {2, 2, 2, 3, 4, 4, 4, 5};
    int n = sizes[r.nextInt(sizes.length)];
    Integer minimumSize = r.nextInt(3) == 0 ? n / 2 + 1 : null;
    // four JVMs or more on a loaded machine miss 4 s of heartbeats now and then (SplitBrainScheduleIT)
    int detection = n <= 3 ? 4 : 8;

    List<Job> jobs = new ArrayList<>();
    int jobCount = 2 + r.nextInt(3);
    String[] overlaps = {"skip", "allow", "queue"};
    String[] misfires = {"skip", "fire-once"};
    for (int j = 0; j < jobCount; j++) {
      String mode = r.nextInt(4) == 0 ? "every" : "cluster";
      jobs.add(new Job("job-" + j, mode, 200 + 100L * r.nextInt(9), overlaps[r.nextInt(3)], misfires[r.nextInt(2)], -1));
    }
    int doomed = 1 + r.nextInt(2);
    for (int j = 0; j < doomed; j++) {
      jobs.add(new Job("doomed-" + j, "cluster", 200 + 100L * r.nextInt(9), overlaps[r.nextInt(3)], misfires[r.nextInt(2)],
        faultPhaseMs / 4 + (long) (r.nextDouble() * faultPhaseMs / 2)));
    }

    List<Fault> faults = new ArrayList<>();
    int wanted = 2 + r.nextInt(faultPhaseMs >= 60_000 ? 5 : 2);
    long detectionMs = detection * 1_000L;
    for (int k = 0, tries = 0; k < wanted && tries < 50; tries++) {
      String kind = pick(r, faultPhaseMs);
      long duration = switch (kind) {
        case "kill" -> 1_000 + r.nextInt(7_000);
        case "pause" -> (long) (detectionMs * (0.5 + 2.5 * r.nextDouble()));
        case "clock" -> 10_000 + r.nextInt(20_000);
        case "restart" -> n * 15_000L; // an estimate: each node stops, starts and is healthy again in turn
        default -> (long) (detectionMs * (0.5 + 3.5 * r.nextDouble()));
      };
      duration = Math.max(0, Math.min(duration, faultPhaseMs - 1_000));
      long at = (long) (r.nextDouble() * (faultPhaseMs - duration));
      long skew = kind.equals("clock") ? (r.nextBoolean() ? 1 : -1) * (2_000L + 1_000L * r.nextInt(29)) : 0;
      Fault f = shape(r, faults.size() + 1, kind, at, duration, n, skew);
      // at most one node down at a time, at most one partition at a time
      boolean clash = faults.stream().anyMatch(o -> o.down() == f.down() && o.atMs < f.endMs() + 2_000 && f.atMs < o.endMs() + 2_000);
      if (!clash) {
        faults.add(f);
        k++;
      }
    }
    faults.sort(Comparator.comparingLong(Fault::atMs));
    List<Fault> numbered = new ArrayList<>();
    for (int k = 0; k < faults.size(); k++) {
      Fault f = faults.get(k);
      numbered.add(new Fault(k + 1, f.kind, f.atMs, f.durationMs, f.nodes, f.sides, f.bridges, f.skewMs));
    }
    // The kinds added since (netem, db-outage) and the store: a generator of their own, their faults numbered after
    // the others, so that every seed's earlier plan is unchanged (PlanTest).
    Random x = new Random(mix(seed ^ EXTRAS));
    boolean store = x.nextInt(4) == 0;
    if (x.nextInt(4) == 0) {
      long duration = Math.min(3_000 + x.nextInt(10_000), faultPhaseMs - 1_000);
      long at = (long) (x.nextDouble() * (faultPhaseMs - duration));
      int delay = 50 + 10 * x.nextInt(36); // 50-400 ms each way
      int jitter = delay / 10 + x.nextInt(delay / 2 - delay / 10 + 1); // 10-50 % of the delay
      int loss = 5 + x.nextInt(26); // 5-30 %
      List<Integer> all = new ArrayList<>(IntStream.range(0, n).boxed().toList());
      Collections.shuffle(all, x);
      List<Integer> on = x.nextInt(3) == 0 ? sorted(all) : List.of(all.get(0)); // every node, or one
      numbered.add(new Fault(numbered.size() + 1, "netem", at, Math.max(0, duration), on, null, null, 0,
        new Netem(delay, jitter, loss)));
    }
    if (store && x.nextInt(3) != 0) {
      long duration = Math.min(5_000 + x.nextInt(15_000), faultPhaseMs - 1_000);
      long at = (long) (x.nextDouble() * (faultPhaseMs - duration));
      numbered.add(new Fault(numbered.size() + 1, "db-outage", at, Math.max(0, duration), List.of(), null, null, 0));
    }
    return new Plan(seed, n, minimumSize, detection, faultPhaseMs, List.copyOf(numbered), List.copyOf(jobs), store);
  }

  private static String pick(Random r, long faultPhaseMs) {
    int x = r.nextInt(12);
    if (x == 11 && faultPhaseMs >= 60_000) {
      return "restart"; // a rolling restart needs a long fault phase
    }
    return x < 3 ? "kill" : x < 6 ? "pause" : x < 10 ? "partition" : x == 10 ? "clock" : "kill";
  }

  private static Fault shape(Random r, int id, String kind, long at, long duration, int n, long skew) {
    List<Integer> all = new ArrayList<>(IntStream.range(0, n).boxed().toList());
    Collections.shuffle(all, r);
    if (kind.equals("restart")) {
      return new Fault(id, kind, at, duration, List.copyOf(all), null, null, 0); // in this order
    }
    if (!kind.equals("partition")) {
      return new Fault(id, kind, at, duration, List.of(all.get(0)), null, null, skew);
    }
    // one node away, majority/minority, equal halves, or a bridge node that sees both sides
    List<String> shapes = new ArrayList<>(List.of("one-away"));
    if (n >= 4) {
      shapes.add("majority-minority");
    }
    if (n % 2 == 0 && n >= 4) {
      shapes.add("halves");
    }
    if (n >= 3) {
      shapes.add("bridge");
    }
    String s = shapes.get(r.nextInt(shapes.size()));
    List<List<Integer>> sides;
    List<Integer> bridges = List.of();
    switch (s) {
      case "majority-minority" -> {
        int minority = (n - 1) / 2;
        sides = List.of(sorted(all.subList(0, minority)), sorted(all.subList(minority, n)));
      }
      case "halves" -> sides = List.of(sorted(all.subList(0, n / 2)), sorted(all.subList(n / 2, n)));
      case "bridge" -> {
        bridges = List.of(all.get(0));
        int a = 1 + (n - 1) / 2;
        sides = List.of(sorted(all.subList(1, a)), sorted(all.subList(a, n)));
      }
      default -> sides = List.of(List.of(all.get(0)), sorted(all.subList(1, n)));
    }
    List<Integer> involved = new ArrayList<>();
    sides.forEach(involved::addAll);
    return new Fault(id, "partition", at, duration, sorted(involved), sides, bridges, 0);
  }

  private static List<Integer> sorted(List<Integer> in) {
    return in.stream().sorted().toList();
  }

  long workloadSeed() {
    return mix(seed + 0x9E3779B97F4A7C15L);
  }

  /** SplitMix64's finalizer. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** How long after a partition or pause ends the sides may still be merging: Hazelcast's merge runs every 10 s. */
  long mergeWindowMs() {
    return 30_000;
  }

  /** The missed-tick bound the checkers apply: failure detection, then migration and a misfire threshold. */
  long missedBoundMs() {
    return detectionSeconds * 1_000L + 10_000;
  }

  String summary() {
    return "nodes=" + nodes + " minimumSize=" + (minimumSize == null ? "-" : minimumSize) + (store ? " store=postgres" : "")
      + " faults=" + faults.stream().map(f -> f.kind + (f.sides != null ? new JsonArray(f.sides.stream().map(x -> new JsonArray(x.stream().map(Plan::name).toList())).toList()).encode()
        + (f.bridges.isEmpty() ? "" : "bridge" + f.detail().getJsonArray("bridges").encode())
        : f.nodes.isEmpty() ? "" : "(" + (f.kind.equals("netem") ? String.join(",", f.nodes.stream().map(Plan::name).toList()) : name(f.nodes.get(0))) + ")")
      + (f.kind.equals("clock") ? (f.skewMs > 0 ? "+" : "") + f.skewMs / 1000 + "s" : "")
      + (f.netem != null ? String.join(" ", f.netem.args()) : "")
      + "@" + f.atMs / 1000 + "s+" + f.durationMs / 1000 + "s").toList();
  }
}
