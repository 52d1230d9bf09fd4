package io.steward.schedule;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;

/**
 * The fires of one job, counted where its action sends them: a consumer (in the test JVM, a lite member outside
 * the nodes that get killed) records each message with the scheduled tick and the firing node from the headers
 * every job message carries ({@link ActionRunner}). A tick recorded twice was fired twice; a tick between the
 * first and the last fire that nobody recorded was missed. Shared by {@code ScheduleProcessIT} and the
 * reliability suite's schedule scenario.
 */
public final class Fires {

  /** One message the consumer got: the tick it was scheduled for, the Vert.x node id that fired it, when. */
  public record Fire(long tick, String node, long receivedAt) {
  }

  private final ConcurrentLinkedQueue<Fire> fires = new ConcurrentLinkedQueue<>();

  private Fires() {
  }

  /** Starts counting what arrives on {@code address}; completes once the consumer is registered cluster-wide. */
  public static Future<Fires> listen(Vertx vertx, String address) {
    Fires out = new Fires();
    return vertx.eventBus().consumer(address, m -> out.fires.add(new Fire(Long.parseLong(m.headers().get(ActionRunner.TICK_HEADER)),
      m.headers().get(ActionRunner.NODE_HEADER), System.currentTimeMillis()))).completion().map(v -> out);
  }

  public int size() {
    return fires.size();
  }

  /** Fires received after {@code millis} (epoch ms). */
  public long after(long millis) {
    return fires.stream().filter(f -> f.receivedAt > millis).count();
  }

  /** Whether a node other than {@code node} fired after {@code millis}. */
  public boolean otherFiredAfter(String node, long millis) {
    return fires.stream().anyMatch(f -> f.receivedAt > millis && !f.node.equals(node));
  }

  /** Fires of {@code node} received after {@code millis}. */
  public long firedByAfter(String node, long millis) {
    return fires.stream().filter(f -> f.node.equals(node) && f.receivedAt > millis).count();
  }

  /** The nodes that fired each tick. */
  public Map<Long, List<String>> byTick() {
    Map<Long, List<String>> out = new HashMap<>();
    for (Fire f : fires) {
      out.computeIfAbsent(f.tick, k -> new ArrayList<>()).add(f.node);
    }
    return out;
  }

  /** Ticks fired more than once, with the nodes that fired them. */
  public Map<Long, List<String>> doubled() {
    return byTick().entrySet().stream().filter(e -> e.getValue().size() > 1)
      .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
  }

  public long firstTick() {
    return fires.stream().mapToLong(Fire::tick).min().orElseThrow();
  }

  public long lastTick() {
    return fires.stream().mapToLong(Fire::tick).max().orElseThrow();
  }

  /** Distinct ticks fired. */
  public int ticks() {
    return byTick().size();
  }

  /** Ticks of a job every {@code periodMs} between the first fire and {@code to} that nobody fired. */
  public Set<Long> missingUpTo(long to, long periodMs) {
    Set<Long> seen = byTick().keySet();
    Set<Long> missing = new TreeSet<>();
    for (long t = firstTick(); t <= to; t += periodMs) {
      if (!seen.contains(t)) {
        missing.add(t);
      }
    }
    return missing;
  }

  /** The node that fired the latest tick. */
  public String latestFiringNode() {
    return fires.stream().max((a, b) -> Long.compare(a.tick, b.tick)).orElseThrow().node;
  }

  /** The scheduled times (epoch ms) a job's history ({@code GET /schedules/{name}/history}) records as missed. */
  public static Set<Long> recordedMissed(JsonObject history) {
    Set<Long> out = new TreeSet<>();
    history.getJsonArray("runs").forEach(r -> {
      JsonObject run = (JsonObject) r;
      if (run.getBoolean("missed")) {
        out.add(Instant.parse(run.getString("scheduledAt")).toEpochMilli());
      }
    });
    return out;
  }
}
