package io.steward.node;

import io.steward.spi.StewardModule;
import io.steward.spi.ConfigException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.steward.spi.Cluster;
import io.steward.observe.Metrics;
import io.steward.observe.Tracing;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.vertx.tracing.opentelemetry.OpenTelemetryTracingFactory;
import io.steward.spi.Persistence;
import io.steward.store.Store;
import io.steward.store.StoreConfig;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One Steward node: a clustered Vert.x with the modules its configuration names. {@link Main} runs one
 * per JVM; tests and applications that embed Steward may start several.
 */
public final class StewardNode {

  private static final Logger LOG = LoggerFactory.getLogger(StewardNode.class);
  private static final io.steward.observe.RateLimitedLog MEMBER_GONE = new io.steward.observe.RateLimitedLog(LOG, 60_000);
  /** How long a stopping node waits for its last spans to be sent (tracing.enabled). */
  private static final long TRACES_FLUSH_MS = 5_000;
  /** How long a module whose start met split-brain protection waits before it checks the minimum and retries. */
  private static final long MODULE_RETRY_MS = 2_000;

  private final Vertx vertx;
  private final NodeConfig config;
  private final Map<String, String> deployments;
  private final String nodeDeployment;
  private final Store store;
  /** The tracing SDK this node made ({@code tracing.enabled}), shut down when it stops; null otherwise. */
  private volatile OpenTelemetrySdk tracingSdk;

  private StewardNode(Vertx vertx, NodeConfig config, Map<String, String> deployments, String nodeDeployment,
                      Store store) {
    this.vertx = vertx;
    this.config = config;
    this.deployments = deployments;
    this.nodeDeployment = nodeDeployment;
    this.store = store;
  }

  /** The modules on the classpath, by name. */
  public static Map<String, StewardModule> availableModules() {
    Map<String, StewardModule> out = new LinkedHashMap<>();
    for (StewardModule m : ServiceLoader.load(StewardModule.class)) {
      out.put(m.name(), m);
    }
    return out;
  }

  public static ConfigLoader configLoader() {
    return new ConfigLoader(availableModules().values());
  }

  /** Starts a node from a configuration object shaped like {@code conf/config.json} (no env/sys overrides). */
  public static Future<StewardNode> start(JsonObject config) {
    NodeConfig parsed;
    try {
      parsed = configLoader().resolve(config, Map.of(), Map.of());
    } catch (ConfigException e) {
      return Future.failedFuture(e);
    }
    return start(parsed);
  }

  /**
   * Starts a node from a configuration object, traced with {@code openTelemetry} whatever {@code tracing.*} says
   * (an application that embeds Steward and has its own OpenTelemetry, tests with an in-memory exporter). The
   * caller keeps it and shuts it down.
   */
  public static Future<StewardNode> start(JsonObject config, OpenTelemetry openTelemetry) {
    NodeConfig parsed;
    try {
      parsed = configLoader().resolve(config, Map.of(), Map.of());
    } catch (ConfigException e) {
      return Future.failedFuture(e);
    }
    return start(parsed, openTelemetry);
  }

  public static Future<StewardNode> start(NodeConfig config) {
    return start(config, null);
  }

  /** {@code openTelemetry}: see {@link #start(JsonObject, OpenTelemetry)}; null: as {@code tracing.*} says. */
  public static Future<StewardNode> start(NodeConfig config, OpenTelemetry openTelemetry) {
    long startedAt = System.currentTimeMillis();
    Logging.apply(config);
    JsonDecoding.harden();
    OpenTelemetrySdk own = openTelemetry == null && config.tracing().enabled()
      ? TracingSetup.sdk(config.tracing(), config.name()) : null;
    OpenTelemetry otel = openTelemetry != null ? openTelemetry : own;
    return openStore(config).compose(store -> start(config, store, startedAt, otel, own != null)
      .map(node -> {
        node.tracingSdk = own;
        return node;
      })
      .onFailure(err -> {
        if (own != null) {
          own.shutdown();
        }
      })
      .onFailure(err -> {
        if (store != null) {
          store.close();
        }
      }));
  }

  /**
   * The node's store (docs/durability.md), opened before Hazelcast starts so that the maps can load from it:
   * none with {@code store.kind none}, and none on a lite member, which holds no data.
   */
  private static Future<Store> openStore(NodeConfig config) {
    if (config.store().kind() == StoreConfig.Kind.NONE || config.cluster().liteMember()) {
      return Future.succeededFuture(null);
    }
    List<io.steward.spi.PersistentMap> maps = new ArrayList<>();
    availableModules().values().forEach(m -> maps.addAll(m.persistentMaps()));
    return onOwnThread("steward-store-open", () -> Store.open(config.store(), maps))
      .recover(err -> Future.failedFuture(new StartupException(err.getMessage(), err)));
  }

  /**
   * Runs blocking start-up work on a thread of its own. Not {@code executeBlocking}: the rest of the start-up
   * would then run on a worker context, and when a module fails the {@code vertx.close()} that follows could
   * never report back (the worker pool closes with Vert.x), leaving the node hanging instead of exiting 1.
   */
  private static <T> Future<T> onOwnThread(String name, java.util.concurrent.Callable<T> work) {
    CompletableFuture<T> done = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        done.complete(work.call());
      } catch (Throwable e) {
        done.completeExceptionally(e);
      }
    }, name);
    t.setDaemon(true);
    t.start();
    return Future.fromCompletionStage(done);
  }

  private static void logTransport(Vertx vertx, NodeConfig config) {
    if (vertx.isNativeTransportEnabled()) {
      LOG.info("Event loops and sockets run on Linux epoll (vertx.nativeTransport)");
    } else if (config.nativeTransport()) {
      Throwable cause = vertx.unavailableNativeTransportCause();
      LOG.info("Native transport unavailable on this machine ({}); event loops run on Java NIO, which works the same "
          + "with a costlier wake-up per event-loop hop. Set vertx.nativeTransport=false to skip the attempt",
        cause == null ? "no cause given" : cause.toString());
    } else {
      LOG.info("Event loops and sockets run on Java NIO (vertx.nativeTransport=false)");
    }
  }

  private static Future<StewardNode> start(NodeConfig config, Store store, long startedAt, OpenTelemetry otel,
                                           boolean ownSdk) {
    VertxOptions options = new VertxOptions().setWorkerPoolSize(config.workerPoolSize())
      .setPreferNativeTransport(config.nativeTransport());
    if (config.eventLoopPoolSize() > 0) {
      options.setEventLoopPoolSize(config.eventLoopPoolSize());
    }
    EventBusOptions eb = options.getEventBusOptions().setHost(config.eventBus().host()).setPort(config.eventBus().port());
    if (config.eventBus().publicHost() != null) {
      eb.setClusterPublicHost(config.eventBus().publicHost());
    }
    if (config.eventBus().tls() != null) {
      config.eventBus().tls().applyTo(eb);
    }
    MeterRegistry registry = null;
    if (config.metricsEnabled()) {
      registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      options.setMetricsOptions(metricsOptions(config));
    }
    String storeIdentity = store != null ? store.identity() : Store.NO_STORE;
    String clusterName;
    try {
      clusterName = hazelcastConfig(config, store, storeIdentity).getClusterName();
    } catch (ConfigException e) {
      return Future.failedFuture(e);
    }
    MeterRegistry meters = registry;
    // A fresh Hazelcast member per attempt: one whose join was refused has shut down.
    return ClusterJoin.join(clusterName, config.cluster().joinRetryMs(), refusal -> {
        com.hazelcast.config.Config hz = hazelcastConfig(config, store, storeIdentity);
        hz.addListenerConfig(new com.hazelcast.config.ListenerConfig(refusal));
        // VertxOptions' copy constructor turns MicrometerMetricsOptions into plain MetricsOptions (JVM metrics lost):
        // the metrics options are set again on the copy.
        VertxBuilder builder = Vertx.builder().with(new VertxOptions(options).setMetricsOptions(options.getMetricsOptions()))
          .withClusterManager(new HazelcastClusterManager(hz));
        if (meters != null) {
          builder.withMetrics(new MicrometerMetricsFactory(meters));
        }
        if (otel != null) {
          // Vert.x's HTTP server, HTTP client and event bus spans, the current one kept in the Vert.x context.
          builder.withTracer(new OpenTelemetryTracingFactory(otel));
        }
        return builder.buildClustered();
      })
      .recover(err -> Future.failedFuture(err instanceof StartupException || err instanceof ConfigException ? err
        : new StartupException("could not join the Hazelcast cluster '" + clusterName + "': " + err.getMessage()
        + " (check cluster.* settings: port, interface, members)", err)))
      .compose(vertx -> {
        vertx.exceptionHandler(StewardNode::uncaught);
        if (meters != null) {
          Metrics.bind(vertx, meters);
        }
        if (otel != null) {
          Tracing.bind(vertx, otel);
          LOG.info("Tracing is on: {}", ownSdk
            ? "spans go to " + config.tracing().otlpEndpoint() + " over OTLP/HTTP, " + config.tracing().samplePercent()
              + "% of new traces sampled" : "spans go to the OpenTelemetry the application gave");
        }
        logTransport(vertx, config);
        return awaitMinimumSize(vertx, config)
          .compose(v -> attachStore(vertx, config, store, storeIdentity, meters))
          .compose(v -> deployAll(vertx, config, startedAt, store))
          .recover(err -> vertx.close().transform(ar -> Future.failedFuture(err)));
      });
  }

  /** The member's Hazelcast configuration: cluster.xml, the cluster.* settings, the modules' maps and the store. */
  private static com.hazelcast.config.Config hazelcastConfig(NodeConfig config, Store store, String storeIdentity) {
    com.hazelcast.config.Config hz = HazelcastSetup.build(config.cluster());
    availableModules().values().forEach(m -> m.configureHazelcast(hz));
    if (store != null) {
      store.configure(hz);
    } else if (config.store().kind() != StoreConfig.Kind.NONE) {
      // A lite member never writes, but configures persistent caches the way the full members do.
      hz.getUserContext().put(Persistence.MAP_STORE_CONFIG, Store.mapStoreConfig(config.store()));
    }
    if (!config.cluster().liteMember()) {
      hz.getMemberAttributeConfig().setAttribute(Store.ATTRIBUTE, storeIdentity);
    }
    return hz;
  }

  /**
   * With split-brain protection ({@code cluster.minimumSize}), Steward's maps refuse every operation until that many
   * members are in the cluster, so a module started before (the first nodes of a cluster starting one by one) failed
   * to start: wait for them first, saying so.
   */
  static Future<Void> awaitMinimumSize(Vertx vertx, NodeConfig config) {
    int minimum = config.cluster().minimumSize();
    if (minimum <= 1) {
      return Future.succeededFuture();
    }
    com.hazelcast.core.HazelcastInstance hz = Cluster.hazelcast(vertx);
    java.util.function.BooleanSupplier enough = () -> hz.getCluster().getMembers().size() >= minimum
      && hz.getSplitBrainProtectionService().getSplitBrainProtection(HazelcastSetup.SPLIT_BRAIN_PROTECTION).hasMinimumSize();
    if (enough.getAsBoolean()) {
      return Future.succeededFuture();
    }
    LOG.warn("Waiting for the cluster to reach cluster.minimumSize = {} member(s) before starting the modules ({} now): "
      + "split-brain protection refuses every operation on a smaller cluster. Start the other nodes.", minimum,
      hz.getCluster().getMembers().size());
    Promise<Void> reached = Promise.promise();
    long startedAt = System.nanoTime();
    long[] lastLog = {startedAt};
    vertx.setPeriodic(200, id -> {
      if (enough.getAsBoolean()) {
        vertx.cancelTimer(id);
        LOG.info("The cluster has {} member(s), at least cluster.minimumSize = {}: starting the modules after {} ms",
          hz.getCluster().getMembers().size(), minimum, (System.nanoTime() - startedAt) / 1_000_000);
        reached.tryComplete();
      } else if (System.nanoTime() - lastLog[0] > 30_000_000_000L) {
        lastLog[0] = System.nanoTime();
        LOG.warn("Still waiting for cluster.minimumSize = {} member(s) ({} now)", minimum, hz.getCluster().getMembers().size());
      }
    });
    return reached.future();
  }

  /** Checks that the cluster uses the same store, then loads the persisted maps before any module starts. */
  private static Future<Void> attachStore(Vertx vertx, NodeConfig config, Store store, String identity, MeterRegistry meters) {
    if (config.cluster().liteMember()) {
      return Future.succeededFuture();
    }
    try {
      Store.checkPeers(Cluster.hazelcast(vertx), identity, store);
    } catch (RuntimeException e) {
      return Future.failedFuture(new StartupException(e.getMessage(), e));
    }
    if (store == null) {
      return Future.succeededFuture();
    }
    store.attach(Cluster.hazelcast(vertx));
    if (meters != null) {
      store.bindMeters(meters);
    }
    return onOwnThread("steward-store-load", () -> {
      store.awaitLoaded();
      return null;
    });
  }

  private static MicrometerMetricsOptions metricsOptions(NodeConfig config) {
    MicrometerMetricsOptions m = new MicrometerMetricsOptions()
      .setEnabled(true)
      .setRegistryName("steward-" + UUID.randomUUID())
      .setJvmMetricsEnabled(config.vertxMetrics())
      .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true));
    if (!config.vertxMetrics()) {
      for (MetricsDomain d : MetricsDomain.values()) {
        m.addDisabledMetricsCategory(d);
      }
    }
    return m;
  }

  private static Future<StewardNode> deployAll(Vertx vertx, NodeConfig config, long startedAt, Store store) {
    Map<String, StewardModule> available = availableModules();
    Map<String, String> deployments = Collections.synchronizedMap(new LinkedHashMap<>());
    Future<Void> chain = Future.succeededFuture();
    for (String name : config.modules()) {
      StewardModule module = available.get(name);
      chain = chain.compose(v -> deployModule(vertx, config, name, module)
        .recover(err -> Future.failedFuture(err instanceof ConfigException ? err // exit 2, naming the key
          : new StartupException("module '" + name + "' failed to start: " + err.getMessage(), err)))
        .map(id -> {
          deployments.put(name, id);
          return null;
        }));
    }
    return chain.compose(v -> vertx.deployVerticle(new NodeVerticle(config, deployments, startedAt, store), new DeploymentOptions()))
      .map(nodeId -> {
        StewardNode node = new StewardNode(vertx, config, deployments, nodeId, store);
        LOG.info("Steward node {} is up in {} ms: modules {}, cluster '{}' with {} member(s), event bus on {}{}",
          node.id(), System.currentTimeMillis() - startedAt, config.modules(),
          Cluster.hazelcast(vertx).getConfig().getClusterName(),
          Cluster.hazelcast(vertx).getCluster().getMembers().size(), config.eventBus().host(),
          config.eventBus().tls() != null ? " with mutual TLS" : "");
        return node;
      });
  }

  /**
   * Deploys one module: its deployment id. A start that meets split-brain protection (this side of the cluster fell
   * below {@code cluster.minimumSize} after {@link #awaitMinimumSize} let the modules start: a partition that began
   * while the node joined, members leaving) is not the module's fault and does not last: the node waits for the
   * minimum again and retries, a WARN per attempt, rather than exit for good and leave the cluster a node short
   * once the partition heals (campaign seed 1001). The caller's start limit bounds the wait (5 minutes in Main).
   */
  static Future<String> deployModule(Vertx vertx, NodeConfig config, String name, StewardModule module) {
    return module.deploy(vertx, config.section(name)).recover(err -> {
      if (!belowMinimumSize(err) && partitionsMoving(err)) {
        LOG.warn("Module '{}' could not start: Hazelcast refused an operation because partitions are moving (a member "
          + "joined, left or is being removed: {}). This node retries in {} ms; nothing to do unless it repeats for "
          + "minutes (then check GET /nodes on every node for a cluster that does not settle).", name,
          err.getMessage(), MODULE_RETRY_MS);
        return vertx.timer(MODULE_RETRY_MS).compose(v -> deployModule(vertx, config, name, module));
      }
      if (config.cluster().minimumSize() <= 1 || !belowMinimumSize(err)) {
        return Future.failedFuture(err);
      }
      LOG.warn("Module '{}' could not start: this side of the cluster has {} member(s), fewer than cluster.minimumSize "
        + "= {}, and split-brain protection refused the start ({}). This node waits until its side has the minimum "
        + "again and retries in {} ms: heal the network partition or start the missing nodes (java -jar gives up, "
        + "exit 1, if the node is not up within its start limit: docs/operations.md).", name, Cluster.hazelcast(vertx).getCluster().getMembers().size(),
        config.cluster().minimumSize(), err.getMessage(), MODULE_RETRY_MS);
      return vertx.timer(MODULE_RETRY_MS)
        .compose(v -> awaitMinimumSize(vertx, config))
        .compose(v -> deployModule(vertx, config, name, module));
    });
  }

  /**
   * Whether Hazelcast refused an operation before running it because partitions are moving
   * ({@code PartitionMigratingException}, {@code WrongTargetException}, … : a {@code RetryableException} whose own
   * retries ran out), anywhere in the chain (campaign seed 1036).
   */
  static boolean partitionsMoving(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof com.hazelcast.spi.exception.RetryableException
          && !(t instanceof com.hazelcast.core.HazelcastInstanceNotActiveException)) {
        return true;
      }
    }
    return false;
  }

  /**
   * An exception no handler caught on one of the node's contexts (Vert.x logs these as "Unhandled exception"). After
   * the node's Hazelcast member is gone (the node is stopping, or the member was terminated) its periodic timers still
   * run until Vert.x closes, and every one that touches the cluster throws HazelcastInstanceNotActiveException: that is
   * the node going away, not a bug (a WARN, once per node). Anything else is logged as Vert.x logs it without a
   * handler (an ERROR of its context logger, with the stack trace), so that LibraryLogs still knows Vert.x's own
   * harmless lines by their logger.
   */
  private static void uncaught(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof com.hazelcast.core.HazelcastInstanceNotActiveException) {
        MEMBER_GONE.warn("member-gone", "This node's Hazelcast member is no longer running (the node is stopping, or "
          + "its member shut down): its timers skip their work until Vert.x closes. Nothing to do if the node is "
          + "stopping; otherwise look above for why the member shut down (an OutOfMemoryError, a failed merge) and "
          + "restart the node.");
        return;
      }
    }
    VERTX_CONTEXT_LOG.error("Unhandled exception", error);
  }

  /** The logger Vert.x reports a context's uncaught exceptions to when no handler is set. */
  private static final Logger VERTX_CONTEXT_LOG = LoggerFactory.getLogger("io.vertx.core.impl.ContextImpl");

  /** Whether Hazelcast's split-brain protection ({@code cluster.minimumSize}) refused something, anywhere in the chain. */
  static boolean belowMinimumSize(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof com.hazelcast.splitbrainprotection.SplitBrainProtectionException) {
        return true;
      }
    }
    return false;
  }

  public Vertx vertx() {
    return vertx;
  }

  public String id() {
    return Cluster.nodeId(vertx);
  }

  public NodeConfig config() {
    return config;
  }

  /** The node's store (docs/durability.md), or null with {@code store.kind none} and on lite members. */
  public Store store() {
    return store;
  }

  /**
   * Leaves cleanly: stops announcing the node (health turns 503, the registry forgets it), undeploys the
   * modules in reverse order giving them up to {@code drainMs} in all to finish in-flight work, then leaves
   * the Hazelcast cluster. The future fails if a module did not stop in time; the node is closed anyway.
   */
  public Future<Void> stop(long drainMs) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainMs);
    List<String> problems = Collections.synchronizedList(new ArrayList<>());
    Future<Void> chain = undeploy(nodeDeployment, "node registry", 5_000, problems);
    List<String> names = new ArrayList<>(deployments.keySet());
    Collections.reverse(names);
    for (String name : names) {
      chain = chain.compose(v -> {
        long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        return undeploy(deployments.get(name), "module '" + name + "'", left, problems);
      });
    }
    return chain.compose(v -> {
        if (store != null) {
          store.leaving(); // the last data member: Hazelcast writes the pending changes while it stops
        }
        return vertx.close();
      })
      .andThen(ar -> {
        if (store != null) {
          store.close();
        }
      })
      .transform(ar -> shutdownTracing().transform(t -> ar.succeeded() ? Future.<Void>succeededFuture()
        : Future.<Void>failedFuture(ar.cause())))
      .compose(v -> problems.isEmpty() ? Future.succeededFuture()
        : Future.failedFuture(new IllegalStateException(String.join("; ", problems))));
  }

  /** Sends the spans still batched (the node's own SDK only), waiting at most {@link #TRACES_FLUSH_MS}. */
  private Future<Void> shutdownTracing() {
    OpenTelemetrySdk sdk = tracingSdk;
    if (sdk == null) {
      return Future.succeededFuture();
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    sdk.shutdown().whenComplete(() -> done.complete(null));
    return Future.fromCompletionStage(done.completeOnTimeout(null, TRACES_FLUSH_MS, TimeUnit.MILLISECONDS));
  }

  private Future<Void> undeploy(String deploymentId, String what, long timeoutMs, List<String> problems) {
    Promise<Void> done = Promise.promise();
    long timer = vertx.setTimer(timeoutMs, t -> {
      if (done.tryComplete()) {
        problems.add(what + " did not stop within " + timeoutMs + " ms");
      }
    });
    vertx.undeploy(deploymentId).onComplete(ar -> {
      vertx.cancelTimer(timer);
      // Once reported as not stopped in time, a later failure (vertx.close() undeployed it too) is no news.
      if (ar.failed() && !done.future().isComplete()) {
        problems.add(what + " failed to stop: " + ar.cause().getMessage());
      }
      done.tryComplete();
    });
    return done.future();
  }
}
