package io.steward.campaign;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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
 */
final class NoErrorLines implements Checker {

  /**
   * The nodes' {@code store.connectTimeoutMs} (the default): a connection attempt begun inside an outage fails, and the
   * line is logged, up to this long after the outage ended (seed 1016).
   */
  static final long CONNECT_TIMEOUT_MS = 5_000;

  /** The logger and the start of the message, after the thread's name (the store's thread or a Hazelcast one). */
  static final String STORE_UNREACHABLE = "] io.steward.store.Store - Store: the ";

  @Override
  public String name() {
    return "no-error-lines";
  }

  @Override
  public List<Anomaly> check(History history) {
    List<long[]> outages = outages(history);
    Set<String> used = new HashSet<>(); // node + outage index
    List<Anomaly> out = new ArrayList<>();
    for (JsonObject e : history.ofType("log.error")) {
      String line = e.getString("line");
      int k = outage(line, outages);
      if (k >= 0 && used.add(e.getString("node") + "/" + k)) {
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
