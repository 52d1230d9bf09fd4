package io.steward.observe;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * The Micrometer registry of a Vert.x instance. The node binds its Prometheus registry when it creates
 * Vert.x; modules only register meters here. Several nodes in one JVM (tests) each keep their own.
 * Meter names follow Prometheus style: {@code steward_<module>_<what>}, with units in the name.
 */
public final class Metrics {

  private static final Map<Vertx, MeterRegistry> REGISTRIES = new WeakHashMap<>();

  private Metrics() {
  }

  public static synchronized void bind(Vertx vertx, MeterRegistry registry) {
    REGISTRIES.put(vertx, registry);
  }

  /** The registry bound to this Vert.x, or a private in-memory one (a module deployed on bare Vert.x). */
  public static synchronized MeterRegistry registry(Vertx vertx) {
    return REGISTRIES.computeIfAbsent(vertx, v -> new SimpleMeterRegistry());
  }
}
