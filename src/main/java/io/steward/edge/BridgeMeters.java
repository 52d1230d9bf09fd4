package io.steward.edge;

import io.steward.observe.RateLimitedLog;
import io.steward.observe.Metrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters of one event-bus bridge ({@code sockjs} or {@code tcp}) on one node:
 * {@code steward_bridge_connections{bridge}} (open client connections) and
 * {@code steward_bridge_refusals_total{bridge,reason}} (what a bridge refused, and why). Every refusal is
 * also logged at WARN, at most one line per bridge and reason every 10 s.
 *
 * <p>Several verticle instances of a bridge on one node share one instance, so the gauge counts them all.
 */
public final class BridgeMeters {

  /** A token was missing or wrong. */
  public static final String TOKEN = "token";
  /** The address is not in the inbound list. */
  public static final String INBOUND = "inbound";
  /** The address is not in the outbound list. */
  public static final String OUTBOUND = "outbound";
  /** A TCP frame was larger than allowed (the connection is closed). */
  public static final String FRAME_TOO_LARGE = "frame_too_large";
  /** A TCP frame was not a JSON object with a known type, or had invalid fields (the frame is skipped). */
  public static final String MALFORMED_FRAME = "malformed_frame";
  /** Too many open connections (the new one is closed). */
  public static final String CONNECTION_LIMIT = "connection_limit";

  private static final Logger LOG = LoggerFactory.getLogger(BridgeMeters.class);
  private static final RateLimitedLog REFUSALS = new RateLimitedLog(LOG, 10_000);
  private static final Map<MeterRegistry, Map<String, BridgeMeters>> ALL = new WeakHashMap<>();

  private final String bridge;
  private final MeterRegistry registry;
  private final AtomicInteger connections = new AtomicInteger();

  private BridgeMeters(String bridge, MeterRegistry registry) {
    this.bridge = bridge;
    this.registry = registry;
    Gauge.builder("steward_bridge_connections", connections, AtomicInteger::get)
      .description("Open client connections of an event-bus bridge")
      .tag("bridge", bridge)
      .register(registry);
  }

  public static BridgeMeters of(Vertx vertx, String bridge) {
    MeterRegistry registry = Metrics.registry(vertx);
    synchronized (ALL) {
      return ALL.computeIfAbsent(registry, r -> new HashMap<>()).computeIfAbsent(bridge, b -> new BridgeMeters(b, registry));
    }
  }

  /** Counts a new connection unless {@code limit} are open already; false means refuse it. */
  boolean tryOpen(int limit) {
    if (connections.incrementAndGet() > limit) {
      connections.decrementAndGet();
      return false;
    }
    return true;
  }

  void opened() {
    connections.incrementAndGet();
  }

  void closed() {
    connections.decrementAndGet();
  }

  public int connections() {
    return connections.get();
  }

  /** Counts and logs (rate-limited) one refusal; {@code detail} says what and what to do. */
  public void refused(String reason, String detail) {
    Counter.builder("steward_bridge_refusals")
      .description("What an event-bus bridge refused, by reason")
      .tag("bridge", bridge)
      .tag("reason", reason)
      .register(registry)
      .increment();
    REFUSALS.warn(bridge + "/" + reason, "The " + bridge + " bridge refused: " + detail);
  }

  /** How many refusals for this reason so far (tests, diagnostics). */
  public double refusals(String reason) {
    Counter c = registry.find("steward_bridge_refusals").tag("bridge", bridge).tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }
}
