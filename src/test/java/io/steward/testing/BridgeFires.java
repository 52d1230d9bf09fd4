package io.steward.testing;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Every fire of the schedule jobs of a scenario, counted from outside the cluster: one TCP bridge connection per
 * node given ({@link BridgeTap}), each registered to the address the jobs publish to. A publish reaches every bridge
 * its sender can see, so one fire arrives once per connection that sees it; a tick counts as fired twice when two
 * different nodes fired it, or when one connection received it twice. No lite member: the observers do not change
 * the sides' sizes.
 */
public final class BridgeFires implements AutoCloseable {

  /** Headers every job message carries (schedule/ActionRunner). */
  private static final String JOB = "steward-schedule-job";
  private static final String TICK = "steward-schedule-tick";
  private static final String NODE = "steward-schedule-node";

  /** One fire as connection {@code connection} received it, at {@code receivedAt} on this machine's clock. */
  public record Fire(int connection, String job, long tick, String node, long receivedAt) {
  }

  private final ConcurrentLinkedQueue<Fire> fires = new ConcurrentLinkedQueue<>();
  private BridgeTap tap;

  /** Connects to each node's bridge and registers for {@code address}; returns once every registration is sent. */
  public static BridgeFires listen(List<NodeProcess> nodes, String address) throws IOException {
    BridgeFires out = new BridgeFires();
    out.tap = BridgeTap.listen(nodes, address, out::read);
    return out;
  }

  private void read(int index, FramedClient c, JsonObject frame) {
    JsonObject headers = frame.getJsonObject("headers");
    if (!"message".equals(frame.getString("type")) || headers == null || headers.getString(TICK) == null) {
      return;
    }
    fires.add(new Fire(index, headers.getString(JOB), Long.parseLong(headers.getString(TICK)), headers.getString(NODE),
      System.currentTimeMillis()));
  }

  /** Every fire received so far, in the order received. */
  public List<Fire> all() {
    return new ArrayList<>(fires);
  }
  /** Fires of {@code job} received after {@code millis}, one per (tick, node). */
  public long firesAfter(String job, long millis) {
    Set<String> seen = new HashSet<>();
    for (Fire f : fires) {
      if (f.job.equals(job) && f.receivedAt > millis) {
        seen.add(f.tick + "/" + f.node);
      }
    }
    return seen.size();
  }

  /** Whether one of {@code nodes} fired {@code job} in a message received after {@code millis}. */
  public boolean firedByAfter(String job, Set<String> nodes, long millis) {
    return fires.stream().anyMatch(f -> f.job.equals(job) && f.receivedAt > millis && nodes.contains(f.node));
  }

  /**
   * Fires of {@code job} for ticks scheduled after {@code millis} (one per (tick, node)), as "tick by node" for a
   * report. By the tick, not by when it arrived: a fire sent before a delete may arrive late on a loaded machine.
   */
  public List<String> ticksAfter(String job, long millis) {
    Set<String> seen = new java.util.TreeSet<>();
    for (Fire f : fires) {
      if (f.job.equals(job) && f.tick > millis) {
        seen.add(f.tick + " by " + f.node);
      }
    }
    return new ArrayList<>(seen);
  }

  /** The ticks of {@code job} fired twice, with the nodes that fired them. */
  public Map<Long, List<String>> doubled(String job) {
    Map<Long, Set<String>> nodes = new HashMap<>();
    Map<String, Integer> perConnection = new HashMap<>();
    Set<Long> twiceOnOne = new HashSet<>();
    for (Fire f : fires) {
      if (!f.job.equals(job)) {
        continue;
      }
      nodes.computeIfAbsent(f.tick, k -> new HashSet<>()).add(f.node);
      if (perConnection.merge(f.connection + "/" + f.tick, 1, Integer::sum) > 1) {
        twiceOnOne.add(f.tick);
      }
    }
    Map<Long, List<String>> out = new TreeMap<>();
    nodes.forEach((tick, by) -> {
      if (by.size() > 1 || twiceOnOne.contains(tick)) {
        out.put(tick, new ArrayList<>(by));
      }
    });
    return out;
  }

  /** Distinct ticks of {@code job} fired. */
  public long ticks(String job) {
    return fires.stream().filter(f -> f.job.equals(job)).map(Fire::tick).distinct().count();
  }

  @Override
  public void close() {
    tap.close();
  }
}
