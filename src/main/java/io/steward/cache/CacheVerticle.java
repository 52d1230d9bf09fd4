package io.steward.cache;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.listener.EntryAddedListener;
import io.steward.bus.Addresses;
import io.steward.spi.Cluster;
import io.steward.bus.Endpoint;
import io.steward.bus.Fields;
import io.steward.observe.LogText;
import io.steward.observe.Metrics;
import io.steward.bus.StewardException;
import io.steward.spi.LostPartitions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The cache module on one node: defines the declared caches, opens every cache the cluster knows, and answers
 * {@code steward.cache.*} plus this node's {@code steward.node.<id>.cache.*}. One instance per node; all of
 * its state is confined to its event loop, and every Hazelcast call it makes from there is asynchronous.
 */
final class CacheVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(CacheVerticle.class);

  private final CacheConfig config;
  private HazelcastInstance hz;
  private Caches caches;
  private SingleFlight flights;
  private UUID registryListener;
  private Cluster.Listening membershipListener;

  CacheVerticle(CacheConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    hz = Cluster.hazelcast(vertx);
    String nodeId = Cluster.nodeId(vertx);
    caches = new Caches(vertx, hz, config, Metrics.registry(vertx),
      h -> h.values().addLocalEntryListener(new EntryEvents(vertx, h.name(), nodeId)));
    io.micrometer.core.instrument.FunctionCounter.builder("steward_cache_merge_conflicts", MajorityMergePolicy.class,
        c -> MajorityMergePolicy.conflicts())
      .description("Cache keys a split-brain merge with cluster.minimumSize found written differently on the two sides; "
        + "the side merged into kept its copy (docs/cache.md#known-limits)")
      .register(Metrics.registry(vertx));
    io.micrometer.core.instrument.Gauge.builder("steward_cache_partitions_held", caches.lostPartitions(),
        LostPartitions::size)
      .description("Partitions whose every copy left this node's cluster at once, whose cache keys are refused writes "
        + "(503) until a split-brain merge brings the copies back or cache.lostPartitionHoldSeconds passes")
      .register(Metrics.registry(vertx));
    flights = new SingleFlight(vertx, context, nodeId, config.maxComputes());
    EntryOperations entries = new EntryOperations(vertx, caches, config, nodeId);
    Updates updates = new Updates(vertx, caches, config);
    CacheAdmin admin = new CacheAdmin(vertx, caches, config, entries);
    return vertx.executeBlocking(() -> {
      caches.lostPartitions().startBlocking();
      return defineDeclared();
    }, false)
      .compose(specs -> Future.all(specs.stream().map(caches::open).toList()))
      .compose(v -> Future.all(List.of(
        Endpoint.consumer(vertx, Addresses.Cache.GET, entries::get).completion(),
        Endpoint.consumer(vertx, Addresses.Cache.GET_ALL, entries::getAll).completion(),
        Endpoint.consumer(vertx, Addresses.Cache.PUT, entries::put).completion(),
        Endpoint.consumer(vertx, Addresses.Cache.PUT_ALL, entries::putAll).completion(),
        Endpoint.consumer(vertx, Addresses.Cache.PUT_IF_ABSENT, entries::putIfAbsent).completion(),
        Endpoint.consumer(vertx, Addresses.Cache.REPLACE, entries::replace).completion(),
        Endpoint.consumer(vertx, Addresses.Cache.DELETE, entries::delete).completion(),
        Endpoint.consumer(vertx, Addresses.Cache.TOUCH, entries::touch).completion(),
        Endpoint.consumer(vertx, Addresses.Cache.CLEAR, entries::clear).completion(),
        Endpoint.consumer(vertx, Addresses.Cache.SIZE, entries::size).completion(),
        Endpoint.consumer(vertx, Addresses.Cache.UPDATE, updates::update).completion(),
        Endpoint.consumer(vertx, Addresses.Cache.GET_OR_COMPUTE, new Compute(caches, flights, config)::handle).completion(),
        Endpoint.consumer(vertx, Addresses.Cache.CREATE, admin::create).completion(),
        Endpoint.consumer(vertx, Addresses.Cache.LIST, admin::list).completion(),
        Endpoint.consumer(vertx, Addresses.Cache.STATS, admin::stats).completion(),
        Endpoint.consumer(vertx, Addresses.node(nodeId, Addresses.Cache.NODE_STATS), admin::nodeStats).completion(),
        Endpoint.consumer(vertx, Addresses.node(nodeId, Addresses.Cache.NODE_COMPUTED), msg -> {
          flights.computed(msg.body());
          return null;
        }).completion(),
        Endpoint.localConsumer(vertx, Addresses.moduleHealth(nodeId, CacheModule.NAME), msg -> health()).completion())))
      .compose(v -> vertx.executeBlocking(this::listen, false))
      // A failed start is retried with a new instance (below cluster.minimumSize, say): leave no listener behind.
      .recover(err -> vertx.executeBlocking(() -> {
        caches.lostPartitions().stopBlocking();
        return null;
      }, false).transform(v -> Future.failedFuture(err)));
  }

  /** Defines the declared caches cluster-wide and lists every cache to open (declared and created ones). */
  private List<CacheSpec> defineDeclared() {
    List<CacheSpec> specs = new ArrayList<>();
    for (CacheSpec spec : config.caches().values()) {
      try {
        caches.defineBlocking(spec);
      } catch (StewardException e) {
        throw new IllegalStateException("declared cache '" + spec.name() + "' cannot be used: " + e.getMessage()
          + ". Every node must declare a cache the same way; change it only when the whole cluster restarts.", e);
      }
      specs.add(spec);
    }
    restorePersisted();
    caches.registry().forEach((name, json) -> {
      if (!config.caches().containsKey(name)) {
        specs.add(CacheSpec.fromJson(name, new JsonObject(json)));
      }
    });
    return specs;
  }

  /**
   * Defines again the persisted caches created at run time before the last full restart (their definitions come
   * back from the store; the registry does not). A name now declared in configuration is the declared cache: the
   * kept definition is dropped. One that cannot be defined (cache.maxCaches) is logged and kept for a later start.
   */
  private void restorePersisted() {
    caches.persistedDefinitions().forEach((name, json) -> {
      if (config.caches().containsKey(name)) {
        caches.persistedDefinitions().delete(name);
        LOG.info("Cache '{}' is declared in cache.caches now: the definition it was created with at run time is "
          + "dropped, its stored entries are kept", LogText.escape(name));
        return;
      }
      if (caches.registry().containsKey(name)) {
        return;
      }
      try {
        caches.defineBlocking(CacheSpec.fromJson(name, new JsonObject(json)));
        LOG.info("Cache '{}' (created at run time, persist: true) is defined again from the store", LogText.escape(name));
      } catch (RuntimeException e) {
        LOG.warn("Cache '{}' (created at run time, persist: true) could not be defined again from the store ({}); its "
          + "entries stay in the database. Create it again with the same options, or declare it in cache.caches",
          LogText.escape(name), LogText.escape(e.getMessage()));
      }
    });
  }

  /** Opens caches other nodes create (so this node publishes their events), and watches members leave. */
  private Void listen() {
    registryListener = caches.registry().addEntryListener((EntryAddedListener<String, String>) e ->
      context.runOnContext(v -> caches.open(CacheSpec.fromJson(e.getKey(), new JsonObject(e.getValue())))
        .onFailure(err -> LOG.warn("Could not open cache '{}' created on another node: {}", LogText.escape(e.getKey()),
          LogText.escape(err.getMessage())))), true);
    membershipListener = Cluster.onNodeLeft(hz, context, flights::nodeLeft);
    return null;
  }

  private JsonObject health() {
    int open = 0;
    for (CacheHandle ignored : caches.opened()) {
      open++;
    }
    return new JsonObject().put("status", "UP").put("caches", open).put("computing", flights.inFlight());
  }

  @Override
  public Future<?> stop() {
    flights.close();
    if (!hz.getLifecycleService().isRunning()) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> {
      if (membershipListener != null) {
        membershipListener.close();
      }
      caches.lostPartitions().stopBlocking();
      if (registryListener != null) {
        caches.registry().removeEntryListener(registryListener);
      }
      for (CacheHandle h : caches.opened()) {
        if (h.eventListener() != null) {
          h.values().removeEntryListener(h.eventListener());
        }
      }
      return null;
    }, false).otherwise(err -> {
      LOG.warn("Could not remove the cache module's Hazelcast listeners while stopping ({}); they go when the node "
        + "leaves the cluster", err.getMessage());
      return null;
    });
  }
}
