package io.steward.campaign;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * No ERROR line (README, Reliability: "no ERROR line from Steward's loggers"; the issue asks for none at all).
 * Anomaly: every {@code log.error} event. No library line is excused, not even the spurious Vert.x ERROR the README
 * lists under Known limitations: a campaign that meets it shows it, so it stays counted.
 * <p>
 * One line is excused, the one the operations guide asks for when the campaign itself breaks something the node needs
 * ("an ERROR means something is wrong with this node and needs you"; docs/durability.md, Watching it): the store's
 * {@code Store: the … database at … is unreachable (} from {@code io.steward.store.Store}, which a node logs once
 * when its database becomes unreachable, then WARNs while it stays down. Excused exactly: at most one such line per
 * node per {@code db-outage} fault, stamped (the line's own time, the node's wall clock) from the fault's
 * {@code fault.start} to {@code store.connectTimeoutMs} (5 s) + 1 s after its {@code fault.end} (a connection
 * attempt begun inside the outage fails that long after; no end: {@code quiet}). The same line outside every
 * outage, a second one in one outage, or any other ERROR during an outage is counted.
 * <p>
 * And the lines of a node the campaign stopped cleanly during an outage (a {@code restart}, or the restarts of a
 * {@code clock} fault: at its start and at its end), which docs/durability.md asks for ("what a leaving node still holds
 * … is kept on disk in {@code store.dir/unstored/} … an ERROR with the directory"): from {@code io.steward.store.Store},
 * {@code the database is down while this node leaves}, {@code write(s) made while leaving}, and a second
 * {@code is unreachable (} (its connection attempts interrupted as it leaves), stamped from the stop to
 * {@value #LEAVE_MS} ms after it (a node is halted {@code shutdown.drainMs} + 60 s after its stop at the latest),
 * widened by the node's clock skew when a {@code clock} fault moved it (seed 2069).
 * <p>
 * And the ERROR of a node whose Hazelcast migrations were stuck (docs/operations.md: it logs it, stops with exit code
 * 70 and its supervisor starts it again; seed 2160): one per {@code node.exit} with code 70 of that node.
 */
final class NoErrorLines implements Checker {

  /**
   * The nodes' {@code store.connectTimeoutMs} (the default): a connection attempt begun inside an outage fails, and the
   * line is logged, up to this long after the outage ended (seed 1016).
   */
  static final long CONNECT_TIMEOUT_MS = 5_000;

  /** The logger and the start of the message, after the thread's name (the store's thread or a Hazelcast one). */
  static final String STORE_UNREACHABLE = "] io.steward.store.Store - Store: the ";

  /** The ERROR of a node whose migrations are stuck, which then stops itself (exit code 70). */
  static final String STUCK = "] io.steward.spi.StuckMigration - Hazelcast's partition migration on this member has been stuck";

  /** How long after its stop a leaving node may log its store's lines. */
  static final long LEAVE_MS = 90_000;

  /** The store's lines of a node leaving while its database is down. */
  private static final List<String> LEAVING = List.of("] io.steward.store.Store - Store: the database is down while this "
      + "node leaves", " write(s) made while leaving; ", " is unreachable (");

  @Override
  public String name() {
    return "no-error-lines";
  }

  @Override
  public List<Anomaly> check(History history) {
    List<long[]> outages = outages(history);
    Map<String, List<long[]>> leaving = leavingDuringOutages(history, outages);
    Set<String> used = new HashSet<>(); // node + outage index
    Map<String, Integer> stuckExits = new java.util.HashMap<>();
    history.ofType("node.exit").stream().filter(x -> x.getInteger("code", 0) == io.steward.spi.StuckMigration.EXIT_CODE)
        .forEach(x -> stuckExits.merge(x.getString("node"), 1, Integer::sum));
    List<Anomaly> out = new ArrayList<>();
    for (JsonObject e : history.ofType("log.error")) {
      String line = e.getString("line");
      if (line != null && line.contains(STUCK) && stuckExits.getOrDefault(e.getString("node"), 0) > 0) {
        stuckExits.merge(e.getString("node"), -1, Integer::sum);
        continue;
      }
      int k = outage(line, pausedThrough(history, e.getString("node"), outages));
      if (k >= 0 && used.add(e.getString("node") + "/" + k)) {
        continue;
      }
      if (whileLeaving(line, leaving.getOrDefault(e.getString("node"), List.of()))) {
        continue;
      }
      out.add(new Anomaly(name(), "node " + e.getString("node") + " logged an ERROR: " + line, e));
    }
    return out;
  }

  /** The index of the db-outage window the store's "unreachable" line falls in; -1 when it is no such line or in none. */
  private static int outage(String line, List<long[]> outages) {
    if (line == null || !line.contains(" ERROR  [") && !line.contains(" ERROR [") || !line.contains(STORE_UNREACHABLE)
        || !line.contains(" is unreachable (")) {
      return -1;
    }
    long at;
    try {
      at = Instant.parse(line.substring(0, line.indexOf(' '))).toEpochMilli();
    } catch (DateTimeParseException | StringIndexOutOfBoundsException e) {
      return -1;
    }
    for (int k = 0; k < outages.size(); k++) {
      if (at >= outages.get(k)[0] && at <= outages.get(k)[1] + CONNECT_TIMEOUT_MS + 1_000) {
        return k;
      }
    }
    return -1;
  }

  /** Whether {@code line} is one of the store's lines of a node leaving during an outage, within one of its windows. */
  private static boolean whileLeaving(String line, List<long[]> windows) {
    if (line == null || windows.isEmpty() || !line.contains("] io.steward.store.Store - Store: ")
        || LEAVING.stream().noneMatch(line::contains)) {
      return false;
    }
    long at;
    try {
      at = Instant.parse(line.substring(0, line.indexOf(' '))).toEpochMilli();
    } catch (DateTimeParseException | StringIndexOutOfBoundsException e) {
      return false;
    }
    return windows.stream().anyMatch(w -> at >= w[0] && at <= w[1]);
  }

  /**
   * Per node, the windows (its line's own clock) in which it may log its store's lines of leaving: each clean stop of the
   * node by a {@code restart} or {@code clock} fault whose leave met an outage (the stop inside it, with its connection
   * timeout, or at most {@link #LEAVE_MS} before it), from the
   * stop to {@link #LEAVE_MS} after, widened by the largest clock skew a {@code clock} fault gave the node.
   */
  private static Map<String, List<long[]>> leavingDuringOutages(History history, List<long[]> outages) {
    Map<String, Long> skew = new HashMap<>();
    List<Object[]> stops = new ArrayList<>(); // node, wall
    for (JsonObject s : history.ofType("fault.start")) {
      String kind = s.getString("kind");
      if (!"restart".equals(kind) && !"clock".equals(kind)) {
        continue;
      }
      JsonObject detail = s.getJsonObject("detail", new JsonObject());
      JsonObject end = history.ofType("fault.end").stream().filter(x -> s.getString("fault").equals(x.getString("fault")))
          .findFirst().orElse(null);
      for (Object n : s.getJsonArray("nodes", new io.vertx.core.json.JsonArray())) {
        String node = String.valueOf(n);
        stops.add(new Object[] {node, s.getLong("wall")});
        if ("clock".equals(kind)) {
          skew.merge(node, Math.abs(detail.getLong("skewMs", 0L)), Math::max);
          if (end != null) {
            stops.add(new Object[] {node, end.getLong("wall")});
          }
        }
      }
    }
    Map<String, List<long[]>> out = new HashMap<>();
    for (Object[] stop : stops) {
      String node = (String) stop[0];
      long at = (Long) stop[1];
      // A stop whose leave meets the outage: begun during it, or before it and still leaving when it began (seed 2388:
      // stopped 270 ms before, its drain and graceful leave lasted 11 s).
      if (outages.stream().anyMatch(o -> at + LEAVE_MS >= o[0] && at <= o[1] + CONNECT_TIMEOUT_MS + 1_000)) {
        long widen = skew.getOrDefault(node, 0L);
        out.computeIfAbsent(node, k -> new ArrayList<>()).add(new long[] {at - widen, at + LEAVE_MS + widen});
      }
    }
    return out;
  }

  /**
   * The outages as {@code node} lived them: a node paused during an outage sees it until it resumes, and the
   * connection attempt it began inside the outage fails as it resumes (its timeout passed while it was frozen: seed
   * 2435, node5 paused from 2.5 s into a 17.5 s outage until 6.6 s after its end, logged the line as it resumed). Each
   * window ends at the later of the outage's end and the end of a pause of that node that overlaps it.
   */
  static List<long[]> pausedThrough(History history, String node, List<long[]> outages) {
    long quiet = history.ofType("quiet").stream().mapToLong(q -> q.getLong("wall")).findFirst().orElse(Long.MAX_VALUE);
    List<long[]> pauses = new ArrayList<>();
    for (JsonObject s : history.ofType("fault.start")) {
      if (!"pause".equals(s.getString("kind")) || !s.getJsonArray("nodes", new io.vertx.core.json.JsonArray()).contains(node)) {
        continue;
      }
      long end = history.ofType("fault.end").stream().filter(x -> s.getString("fault").equals(x.getString("fault")))
          .mapToLong(x -> x.getLong("wall")).findFirst().orElse(quiet);
      pauses.add(new long[] {s.getLong("wall"), end});
    }
    List<long[]> out = new ArrayList<>();
    for (long[] o : outages) {
      long end = o[1];
      for (long[] p : pauses) {
        if (p[0] <= o[1] && p[1] >= o[0]) {
          end = Math.max(end, p[1]);
        }
      }
      out.add(new long[] {o[0], end});
    }
    return out;
  }

  /** Every db-outage fault's [start, end] on the observer's wall clock. */
  private static List<long[]> outages(History history) {
    long quiet = history.ofType("quiet").stream().mapToLong(q -> q.getLong("wall")).findFirst().orElse(Long.MAX_VALUE);
    List<long[]> out = new ArrayList<>();
    for (JsonObject s : history.ofType("fault.start")) {
      if (!"db-outage".equals(s.getString("kind"))) {
        continue;
      }
      long end = history.ofType("fault.end").stream().filter(x -> s.getString("fault").equals(x.getString("fault")))
          .mapToLong(x -> x.getLong("wall")).findFirst().orElse(quiet);
      out.add(new long[] {s.getLong("wall"), end});
    }
    return out;
  }
}
