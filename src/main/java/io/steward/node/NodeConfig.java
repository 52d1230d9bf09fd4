package io.steward.node;

import io.steward.spi.Setting;
import io.steward.spi.ConfigException;
import io.steward.store.StoreConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The node-level configuration, parsed once at start-up. Module sections ({@code tasks}, {@code http}, …)
 * are handed to their modules as they are, see {@link #section(String)}.
 */
public record NodeConfig(
  String name,
  List<String> modules,
  Cluster cluster,
  EventBus eventBus,
  int eventLoopPoolSize,
  int workerPoolSize,
  boolean nativeTransport,
  int drainMs,
  boolean metricsEnabled,
  boolean vertxMetrics,
  String logLevel,
  String hazelcastLogLevel,
  TracingConfig tracing,
  StoreConfig store,
  JsonObject merged) {

  static final List<String> DEFAULT_MODULES = List.of("http", "tasks", "fanout", "schedule", "cache");

  static final List<Setting> SETTINGS = withStore(List.of(
    Setting.string("node.name", null, "A readable name for this node in logs and /nodes (default: node-<first 8 characters of its id>)"),
    Setting.list("modules", DEFAULT_MODULES, "The modules this node runs, any subset of: http, tasks, fanout, schedule, cache, bridge, workflows"),
    Setting.string("cluster.name", null, "Hazelcast cluster name; nodes join only a cluster with the same name (default: from cluster.xml, 'steward')"),
    Setting.string("cluster.config", "cluster.xml", "Hazelcast XML: a file path (used if it exists), or classpath:NAME; the copy in the jar is the fallback"),
    Setting.integer("cluster.port", 0, "Hazelcast member port; the next free port is taken if it is busy (0: from cluster.xml, 5701)"),
    Setting.list("cluster.members", null, "Members to join over TCP/IP, host or host:port (default: from cluster.xml, 127.0.0.1)"),
    Setting.string("cluster.interface", null, "The interface Hazelcast binds to (default: from cluster.xml, 127.0.0.1)"),
    Setting.string("cluster.publicAddress", null, "host:port other members use to reach this one (behind NAT or in containers)"),
    Setting.bool("cluster.liteMember", false, "Join as a Hazelcast lite member: holds no data partitions (gateways, client apps)"),
    Setting.integer("cluster.failureDetectionSeconds", 0, "Seconds without a heartbeat before a member is declared dead (0: from cluster.xml, 10)"),
    Setting.integer("cluster.minimumSize", 0, "Split-brain protection: Steward's maps refuse operations on a side with fewer members (0: off)"),
    Setting.integer("cluster.joinRetryMs", 120_000, "How long a starting node keeps retrying a join that the cluster refuses because of its state (FROZEN or PASSIVE: a split-brain merge in progress, or frozen by an operator), with a WARN per attempt, before it exits 1 (0: no retry)"),
    Setting.integer("cluster.frozenAloneMs", 10_000, "A member left alone in cluster state FROZEN or PASSIVE (a split-brain merge froze its side, then its peers left it) for this long sets the state back to ACTIVE, with a WARN, so that it merges back; 0: never (set 0 if you freeze the cluster on purpose and then stop its members)"),
    Setting.integer("cluster.backupConfirmMs", 10_000, "A write whose backup acknowledgement Hazelcast reports missed (none within hazelcast.operation.backup.timeout.millis, 5 s: partitions migrating after a join or a departure, or the backup member paused or cut off) is still acknowledged if, within this many ms, Hazelcast reports every backup in sync and no member has left since the write was sent, and this node did not stall lately (a pause over half of failure detection: its member list may be stale); otherwise it is answered 504 (outcome unknown). 0: answer 504 at once. Metric steward_node_backup_acks_missed_total{outcome}"),
    Setting.integer("cluster.stuckMigrationMs", 60_000, "A member whose partition migration has been stuck in a promotion commit this long (a Hazelcast defect after a JVM pause longer than failure detection during a promotion: the member can no longer merge or take partitions over) logs an ERROR, answers DOWN on /health and shows steward_node_migration_stuck 1; 0: never checked"),
    Setting.bool("cluster.stuckMigrationExit", true, "When a member's migration is stuck (cluster.stuckMigrationMs), stop the node with exit code 70 so that its supervisor starts it again as a new member; false: keep it up, DOWN on /health"),
    Setting.integer("cluster.maxClockOffsetMs", 1000, "A node whose wall clock is further than this from the cluster clock (the Hazelcast master's) logs a WARN to fix its time sync; /nodes shows every node's offset"),
    Setting.string("eventBus.host", "127.0.0.1", "The interface the clustered event bus listens on"),
    Setting.integer("eventBus.port", 0, "The event-bus port (0: any free port)"),
    Setting.string("eventBus.publicHost", null, "The host other nodes use to reach this node's event bus"),
    Setting.bool("eventBus.tls", false, "Mutual TLS between the nodes' event buses: encrypted, and only peers with a trusted certificate connect (all nodes alike; see docs/security.md)"),
    Setting.string("eventBus.keyStore", null, "This node's key and certificate for event-bus TLS: a PKCS#12 (.p12/.pfx) or JKS (.jks) file"),
    Setting.string("eventBus.keyStorePassword", null, "Password of eventBus.keyStore (set it in the environment, not in a file)"),
    Setting.string("eventBus.trustStore", null, "The certificates, or the CA, of the nodes this one talks to (PKCS#12 or JKS); others are refused"),
    Setting.string("eventBus.trustStorePassword", null, "Password of eventBus.trustStore"),
    Setting.integer("vertx.eventLoopPoolSize", 0, "Event-loop threads (0: Vert.x default, 2 x cores)"),
    Setting.integer("vertx.workerPoolSize", 20, "Vert.x worker threads (blocking calls; task supervisors have their own pools)"),
    Setting.bool("vertx.nativeTransport", true, "Event loops and sockets on Linux epoll (Netty's native transport; x86_64 and aarch64) instead of Java NIO: a cheaper wake-up on every hop between event loops; falls back to NIO, logged, where epoll is unavailable"),
    Setting.integer("shutdown.drainMs", 10_000, "On SIGTERM, how long modules may take to finish in-flight work before the node leaves"),
    Setting.bool("metrics.enabled", true, "Collect metrics and serve them at /metrics"),
    Setting.bool("metrics.vertx", true, "Include Vert.x's own meters (event bus, HTTP server, pools) besides Steward's"),
    Setting.bool("tracing.enabled", false, "Trace requests across the cluster with OpenTelemetry: HTTP requests, event-bus hops, task attempts, schedule ticks, fan-out items and cache computes, exported over OTLP (docs/tracing.md)"),
    Setting.string("tracing.otlpEndpoint", TracingConfig.DEFAULT_ENDPOINT, "Where spans are sent: an OTLP/HTTP traces endpoint (a collector, Jaeger, Tempo)"),
    Setting.integer("tracing.samplePercent", 100, "Percent of new traces kept (0-100); a request that arrives with a W3C traceparent follows its caller's sampling decision"),
    Setting.string("tracing.serviceName", "steward", "The service.name of this node's spans"),
    Setting.string("log.level", "INFO", "Log level of Steward and Vert.x: ERROR, WARN, INFO, DEBUG"),
    Setting.string("log.hazelcastLevel", "WARN", "Log level of Hazelcast's own messages")
  ));

  /** The node's settings, then the store's ({@code store.*}, node-level too: see {@link StoreConfig}). */
  private static List<Setting> withStore(List<Setting> node) {
    List<Setting> all = new ArrayList<>(node);
    all.addAll(StoreConfig.SETTINGS);
    return List.copyOf(all);
  }

  private static final Set<String> LEVELS = Set.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE");

  /** Parses the merged configuration; {@code knownModules} are the names the node can deploy. */
  static NodeConfig from(JsonObject merged, Set<String> knownModules) {
    JsonObject node = merged.getJsonObject("node");
    JsonObject cluster = merged.getJsonObject("cluster");
    JsonObject eb = merged.getJsonObject("eventBus");
    JsonObject vx = merged.getJsonObject("vertx");
    JsonObject log = merged.getJsonObject("log");
    JsonObject metrics = merged.getJsonObject("metrics");

    List<String> modules = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (Object m : merged.getJsonArray("modules", new JsonArray())) {
      String name = ((String) m).trim();
      if (!knownModules.contains(name)) {
        throw new ConfigException("modules", "unknown module '" + name + "' (known: " + String.join(", ", knownModules) + ")");
      }
      if (!seen.add(name)) {
        throw new ConfigException("modules", "module '" + name + "' is listed twice");
      }
      modules.add(name);
    }

    Cluster c = new Cluster(
      cluster.getString("name"),
      cluster.getString("config"),
      port(cluster, "cluster.port", true),
      strings(cluster.getJsonArray("members")),
      cluster.getString("interface"),
      cluster.getString("publicAddress"),
      cluster.getBoolean("liteMember"),
      atLeast(cluster, "failureDetectionSeconds", "cluster.failureDetectionSeconds", 0),
      atLeast(cluster, "minimumSize", "cluster.minimumSize", 0),
      atLeast(cluster, "joinRetryMs", "cluster.joinRetryMs", 0),
      atLeast(cluster, "frozenAloneMs", "cluster.frozenAloneMs", 0),
      atLeast(cluster, "backupConfirmMs", "cluster.backupConfirmMs", 0));
    atLeast(cluster, "maxClockOffsetMs", "cluster.maxClockOffsetMs", 1); // read by the node verticle
    atLeast(cluster, "stuckMigrationMs", "cluster.stuckMigrationMs", 0); // read by the node verticle
    EventBus e = new EventBus(eb.getString("host"), port(eb, "eventBus.port", true), eb.getString("publicHost"),
      EventBusTls.from(eb));
    String level = level(log, "level");
    String hzLevel = level(log, "hazelcastLevel");
    return new NodeConfig(
      node.getString("name"),
      List.copyOf(modules),
      c,
      e,
      atLeast(vx, "eventLoopPoolSize", "vertx.eventLoopPoolSize", 0),
      atLeast(vx, "workerPoolSize", "vertx.workerPoolSize", 1),
      vx.getBoolean("nativeTransport"),
      atLeast(merged.getJsonObject("shutdown"), "drainMs", "shutdown.drainMs", 0),
      metrics.getBoolean("enabled"),
      metrics.getBoolean("vertx"),
      level,
      hzLevel,
      TracingConfig.from(merged.getJsonObject("tracing")),
      StoreConfig.from(merged.getJsonObject("store", new JsonObject())),
      merged);
  }

  /** A module's section, defaults filled in and overrides applied. */
  public JsonObject section(String module) {
    JsonObject s = merged.getJsonObject(module);
    return s == null ? new JsonObject() : s.copy();
  }

  public record Cluster(String name, String config, int port, List<String> members, String iface,
                        String publicAddress, boolean liteMember, int failureDetectionSeconds, int minimumSize,
                        int joinRetryMs, int frozenAloneMs, int backupConfirmMs) {
  }

  /** {@code tls} is null when {@code eventBus.tls} is false. */
  public record EventBus(String host, int port, String publicHost, EventBusTls tls) {
  }

  private static List<String> strings(JsonArray a) {
    if (a == null) {
      return null;
    }
    List<String> out = new ArrayList<>();
    a.forEach(v -> out.add(((String) v).trim()));
    return List.copyOf(out);
  }

  private static int port(JsonObject o, String path, boolean zeroAllowed) {
    int p = o.getInteger(path.substring(path.indexOf('.') + 1));
    if (p < (zeroAllowed ? 0 : 1) || p > 65535) {
      throw new ConfigException(path, "must be a port between " + (zeroAllowed ? 0 : 1) + " and 65535, got " + p);
    }
    return p;
  }

  private static int atLeast(JsonObject o, String key, String path, int min) {
    int v = o.getInteger(key);
    if (v < min) {
      throw new ConfigException(path, "must be at least " + min + ", got " + v);
    }
    return v;
  }

  private static String level(JsonObject log, String key) {
    String v = log.getString(key).toUpperCase(java.util.Locale.ROOT);
    if (!LEVELS.contains(v)) {
      throw new ConfigException("log." + key, "must be one of " + LEVELS + ", got '" + log.getString(key) + "'");
    }
    return v;
  }
}
