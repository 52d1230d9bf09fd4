package io.steward.cache;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.InvalidConfigurationException;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MapStoreConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import io.micrometer.core.instrument.MeterRegistry;
import io.steward.spi.HazelcastInternals;
import io.steward.spi.Persistence;
import io.steward.spi.Stalls;
import io.steward.bus.Failure;
import io.steward.bus.StewardException;
import io.steward.spi.LostPartitions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The caches this node knows. Definitions live cluster-wide in the registry map {@code steward.caches}
 * (name → definition), so a cache created on one node is usable on all; each node opens a cache once —
 * adds its Hazelcast map configuration (dynamic configuration, before first use of the map; identical on
 * every node, so only the first one counts) and gets the map proxies — then serves it from memory.
 *
 * <p>Opening blocks (Hazelcast registers listeners cluster-wide), so it runs on a worker thread, once per
 * cache per node. The number of caches is bounded by {@code cache.maxCaches}.
 */
final class Caches {

  static final String REGISTRY = "steward.caches";
  /**
   * The definitions of the persisted caches created at run time (name → definition), written to the node's store
   * so that such a cache, and then its entries, come back after a full restart; the registry itself stays in
   * memory. Declared caches are not in it: their definition comes from the configuration at every start, and may
   * change between two full restarts.
   */
  static final String PERSISTED_DEFINITIONS = "steward.cache-definitions";
  private static final Logger LOG = LoggerFactory.getLogger(Caches.class);

  private final Vertx vertx;
  private final HazelcastInstance hz;
  private final CacheConfig config;
  private final MeterRegistry meters;
  private final Function<CacheHandle, java.util.UUID> subscribeEvents;
  private final IMap<String, String> registry;
  private final IMap<String, String> persistedDefinitions;
  private final Map<String, CacheHandle> open = new ConcurrentHashMap<>();
  private final Map<String, Future<CacheHandle>> opening = new ConcurrentHashMap<>();
  private final LostPartitions lost;

  Caches(Vertx vertx, HazelcastInstance hz, CacheConfig config, MeterRegistry meters,
         Function<CacheHandle, java.util.UUID> subscribeEvents) {
    this.vertx = vertx;
    this.hz = hz;
    this.config = config;
    this.meters = meters;
    this.subscribeEvents = subscribeEvents;
    this.registry = hz.getMap(REGISTRY);
    this.persistedDefinitions = hz.getMap(PERSISTED_DEFINITIONS);
    this.lost = new LostPartitions(vertx, hz, LostPartitions.Use.CACHE, minimumSize() > 0 ? config.lostPartitionHoldSeconds() : 0,
      () -> open.values().stream().mapToInt(h -> h.spec().backupCount()).min().orElse(0));
  }

  /** The partitions whose every copy this side lost ({@link LostPartitions}); started and stopped with the module. */
  LostPartitions lostPartitions() {
    return lost;
  }

  /** {@code cluster.minimumSize} as the caches' maps have it (0: no split-brain protection). */
  private int minimumSize() {
    String protection = hz.getConfig().findMapConfig(CacheSpec.mapName("probe")).getSplitBrainProtectionName();
    SplitBrainProtectionConfig minimum = protection == null ? null : hz.getConfig().getSplitBrainProtectionConfig(protection);
    return minimum != null && minimum.isEnabled() ? minimum.getMinimumClusterSize() : 0;
  }

  /**
   * Why a write of {@code key} must be refused before it is sent (503, nothing applied), or null: its partition lost
   * every copy on this side ({@link LostPartitions}).
   */
  String held(CacheHandle h, String key) {
    return lost.refusal(key, h.spec().backupCount());
  }

  IMap<String, String> persistedDefinitions() {
    return persistedDefinitions;
  }

  IMap<String, String> registry() {
    return registry;
  }

  /** The open caches of this node. */
  Iterable<CacheHandle> opened() {
    return open.values();
  }

  /** A cache by name: 400 for a malformed name, 404 for one the cluster does not define. */
  Future<CacheHandle> handle(String name) {
    CacheHandle h = open.get(name);
    if (h != null) {
      return Future.succeededFuture(h);
    }
    CacheSpec.checkName("cache", name);
    return Future.fromCompletionStage(registry.getAsync(name), vertx.getOrCreateContext()).compose(json -> {
      if (json == null) {
        return Future.failedFuture(StewardException.notFound("no cache named '" + name + "' (declare it in "
          + "cache.caches or create it with steward.cache.create; steward.cache.list shows the caches)"));
      }
      return open(CacheSpec.fromJson(name, new JsonObject(json)));
    });
  }

  /** Opens a cache the registry defines (at most once at a time per name). */
  Future<CacheHandle> open(CacheSpec spec) {
    CacheHandle h = open.get(spec.name());
    if (h != null) {
      return Future.succeededFuture(h);
    }
    Future<CacheHandle> opened = opening.computeIfAbsent(spec.name(),
      name -> vertx.executeBlocking(() -> openBlocking(spec), false));
    // Outside computeIfAbsent: the open may already be done here (a fast worker), and removing the entry from
    // inside the mapping function is a "Recursive update".
    opened.onComplete(ar -> opening.remove(spec.name(), opened));
    return opened;
  }

  private CacheHandle openBlocking(CacheSpec spec) {
    CacheHandle existing = open.get(spec.name());
    if (existing != null) {
      return existing;
    }
    configure(spec);
    IMap<String, CacheValue> values = hz.getMap(spec.mapName());
    IMap<String, Flight> computing = hz.getMap(spec.computingMapName());
    if (spec.persist()) {
      awaitLoaded(spec, values);
    }
    CacheHandle h = new CacheHandle(spec, values, computing, meters, hz.getCluster()::getClusterTime);
    if (spec.events()) {
      h.eventListener(subscribeEvents.apply(h));
    }
    open.put(spec.name(), h);
    LOG.debug("Cache '{}' open on this node: {}", spec.name(), spec.toJson().encode());
    return h;
  }

  /**
   * Loads a persisted cache's entries from the store now, before the cache is open here (and, at start-up,
   * before the node is up). Hazelcast loads such a map lazily, at its first use, and a member that joins while it
   * loads can lose the entries of the partitions that move to it (Hazelcast issue #11544): loaded while the node
   * starts, the map is complete before the next node, started after this one is up, joins. {@code size()} waits
   * until every partition has loaded.
   */
  private void awaitLoaded(CacheSpec spec, IMap<String, CacheValue> values) {
    long t0 = System.nanoTime();
    Set<Member> before = new HashSet<>(hz.getCluster().getMembers());
    int size = values.size();
    long ms = (System.nanoTime() - t0) / 1_000_000;
    if (!before.equals(new HashSet<>(hz.getCluster().getMembers()))) {
      LOG.warn("Cache '{}' (persist: true) loaded with {} entries ({} ms) while members joined or left the cluster: a "
        + "member that joins during a load can lose the entries of the partitions that move to it (Hazelcast issue "
        + "#11544); they stay in the database and come back at the next full restart. Compare with the cache's rows in "
        + "the database. After a full stop, start the other nodes only once the first is up (docs/durability.md)",
        spec.name(), size, ms);
    } else {
      LOG.info("Cache '{}' (persist: true) loaded with {} entr{} ({} ms)", spec.name(), size, size == 1 ? "y" : "ies", ms);
    }
  }

  /** Adds the maps' configuration; a different definition already in the cluster is a 409. */
  private void configure(CacheSpec spec) {
    MapConfig values = MapConfigs.of(spec, base(spec.mapName()), store(spec));
    try {
      hz.getConfig().addMapConfig(values);
      hz.getConfig().addMapConfig(MapConfigs.computing(spec, base(spec.computingMapName())));
    } catch (InvalidConfigurationException e) {
      throw StewardException.conflict("cache '" + spec.name() + "' already exists in the cluster with other options "
        + "(Hazelcast keeps a map's configuration until the whole cluster restarts): " + e.getMessage());
    }
    MapConfig effective = hz.getConfig().findMapConfig(spec.mapName());
    if (effective.getTimeToLiveSeconds() != values.getTimeToLiveSeconds()
      || effective.getEvictionConfig().getSize() != values.getEvictionConfig().getSize()
      || (effective.getNearCacheConfig() != null) != spec.nearCache()) {
      throw new IllegalStateException("Hazelcast ignores the configuration of cache '" + spec.name() + "' (map "
        + spec.mapName() + "): a pattern in the Hazelcast XML matches the name first. Set the property "
        + "hazelcast.data.search.dynamic.config.first.enabled to true in your cluster.xml, as Steward's own does");
    }
  }

  /**
   * The node's write-behind store configuration for a cache that persists (null for one that does not); a 400
   * on {@code persist} when the node has no store: the cache would silently lose its entries at the next full
   * restart. Every full member uses the same store (the node checks), so this node's answer is the cluster's.
   */
  private MapStoreConfig store(CacheSpec spec) {
    if (!spec.persist()) {
      return null;
    }
    MapStoreConfig store = Persistence.mapStoreConfig(hz);
    if (store == null) {
      throw StewardException.badRequest("persist", "cache '" + spec.name() + "' asks to be written to the store, but "
        + "this cluster has none (store.kind is none); set store.kind to embedded or postgres on every node, or drop "
        + "persist");
    }
    return store;
  }

  /**
   * Why an update this node sees answered cannot be acknowledged as applied once for good, or null when it can:
   * this side of the cluster is below {@code cluster.minimumSize} (the update was applied on a copy that may lose
   * the merge: the owner applied it before the split was noticed, and Hazelcast released the answer when the
   * backup's member was declared gone), or the member that applied it ({@code appliedOn}, its UUID) is no longer in
   * this node's cluster (it is on the other side of a split, or dead with the only copy), or, with the minimum, this
   * node stalled lately ({@link Stalls}: the others may have removed it, and its view of the cluster is stale).
   */
  String unconfirmed(CacheHandle h, String appliedOn) {
    Set<Member> members = hz.getCluster().getMembers();
    String protection = hz.getConfig().findMapConfig(h.values().getName()).getSplitBrainProtectionName();
    SplitBrainProtectionConfig minimum = protection == null ? null : hz.getConfig().getSplitBrainProtectionConfig(protection);
    if (minimum != null && minimum.isEnabled() && members.size() < minimum.getMinimumClusterSize()) {
      return "this side of the cluster has " + members.size() + " member(s), fewer than cluster.minimumSize = "
        + minimum.getMinimumClusterSize() + ", so the copy it was applied to may be replaced when the sides merge";
    }
    String stalled = minimum != null && minimum.isEnabled() ? Stalls.recent() : null;
    if (stalled != null) {
      return stalled + ": the copy it was applied to may be replaced when this node merges back";
    }
    if (appliedOn != null && members.stream().noneMatch(m -> appliedOn.equals(m.getUuid().toString()))) {
      return "the member that applied it (" + appliedOn + ") is no longer in this node's cluster, so its copy may "
        + "be lost";
    }
    return null;
  }

  /**
   * Why a write Hazelcast failed without saying "outcome unknown" (split-brain protection, a node leaving: a refusal)
   * may still have been applied, or null when the refusal means nothing was applied: that is so only when no earlier
   * attempt of this write may have been applied ({@code earlierAttempt}) and the member that owned the key when the
   * attempt began ({@code ownerAtStart}) is still in the cluster. Hazelcast itself sends an operation again when its
   * target leaves, and the refusal of that second send says nothing about the first, which may have reached the member
   * that left (queued in a paused member's socket, run when it resumed). The one rule for every write of an entry.
   */
  String mayHaveApplied(Member ownerAtStart, boolean earlierAttempt) {
    if (earlierAttempt) {
      return "an earlier attempt may have been applied";
    }
    if (ownerAtStart != null && !isMember(ownerAtStart)) {
      return "the first send, to the member that owned the key and has left since, may have been applied";
    }
    return null;
  }

  /**
   * A failed single-key write in Steward's terms ({@link Hz#translate}), with {@link #mayHaveApplied}'s rule: a
   * refusal that may not mean "nothing applied" is a 504 INDETERMINATE.
   */
  Throwable writeFailure(Throwable cause, String what, Member ownerAtStart) {
    Throwable err = Hz.translate(cause, what, true);
    if (err instanceof StewardException se && se.failure() == Failure.INDETERMINATE) {
      return err;
    }
    String why = mayHaveApplied(ownerAtStart, false);
    return why == null ? err : StewardException.indeterminate(err.getMessage() + "; but " + why
      + ": the outcome is unknown; read before retrying");
  }

  /**
   * A single-key write that Hazelcast answered: a 504 INDETERMINATE when {@link #unconfirmed} says it cannot be
   * acknowledged as applied for good, else the answer.
   */
  <T> Future<T> confirmed(CacheHandle h, String what, String appliedOn, T answer) {
    String why = unconfirmed(h, appliedOn);
    if (why != null) {
      return Future.failedFuture(StewardException.indeterminate(what + " in cache '" + h.name() + "' was applied, but "
        + why + ": the outcome is unknown; read before retrying"));
    }
    return Future.succeededFuture(answer);
  }

  /**
   * Runs a write's entry processor on the key's owner, answered once the key's synchronous backups have acknowledged
   * it: a backup that does not within {@code hazelcast.operation.backup.timeout.millis} (5 s; its member cut off or
   * paused, not yet removed), or an owner that leaves mid-call, fails it with Hazelcast's
   * {@code IndeterminateOperationStateException}, a 504 ({@link Hz#translate}). Hazelcast's own {@code submitToKey}
   * answers such a write as a success although only the owner applied it (campaign seed 1001: an increment answered
   * 200 after 5.1 s on one side of a two-two split, whose copy then lost the merge). So an acknowledged write is on
   * {@code backupCount + 1} members of the serving node's side; with {@code backupCount} 0 it is on the owner alone.
   * A key whose every copy this side lost is refused before anything is sent ({@link #held}).
   */
  <R> Future<R> write(CacheHandle h, String key, EntryProcessor<String, CacheValue, R> processor) {
    String held = held(h, key);
    if (held != null) {
      return Future.failedFuture(StewardException.unavailable("write of '" + key + "' in cache '" + h.name()
        + "' refused: " + held));
    }
    return Hz.direct(HazelcastInternals.submitToKeyConfirmed(h.values(), key, processor, Runnable::run));
  }

  /** Whether {@code member} is in this node's cluster now. */
  boolean isMember(Member member) {
    return member != null && hz.getCluster().getMembers().contains(member);
  }

  /** The member that owns {@code key}'s partition in this node's view (null while unassigned). */
  Member owner(String key) {
    return hz.getPartitionService().getPartition(key).getOwner();
  }

  private MapConfig base(String mapName) {
    return hz.getConfig().findMapConfig(mapName);
  }

  /**
   * Defines a cache cluster-wide (blocking; a worker thread). Returns whether this call created it: an
   * identical definition already there is fine, a different one is a 409, more than {@code maxCaches} a 429.
   */
  boolean defineBlocking(CacheSpec spec) {
    String json = spec.toJson().encode();
    String current = registry.get(spec.name());
    if (current == null) {
      int size = registry.size();
      if (size >= config.maxCaches()) {
        throw StewardException.overCapacity("the cluster already holds " + size + " caches, the most cache.maxCaches "
          + "allows; raise it on every node or reuse a cache");
      }
      configure(spec);
      current = registry.putIfAbsent(spec.name(), json);
      if (current == null) {
        return true;
      }
    }
    if (!new JsonObject(current).equals(new JsonObject(json))) {
      throw StewardException.conflict("cache '" + spec.name() + "' already exists with other options: the cluster has "
        + current + ", this asks for " + json + "; a cache cannot be redefined while the cluster runs");
    }
    configure(spec);
    return false;
  }

  /**
   * Defines a cache created at run time (blocking; a worker thread), as {@link #defineBlocking}; a persisted one's
   * definition is also kept in the store ({@link #PERSISTED_DEFINITIONS}) so that it is defined again after a full
   * restart. Kept after the registry has it: a definition that lost a race (409) is never kept.
   */
  boolean createBlocking(CacheSpec spec) {
    boolean created = defineBlocking(spec);
    if (spec.persist()) {
      persistedDefinitions.set(spec.name(), spec.toJson().encode());
    }
    return created;
  }

  /** Every cache the cluster defines, by name (blocking; a worker thread). */
  List<JsonObject> listBlocking() {
    List<JsonObject> out = new ArrayList<>();
    new TreeMap<>(registry.getAll(registry.keySet())).forEach((name, json) ->
      out.add(new JsonObject().put("name", name).put("options", new JsonObject(json))));
    return out;
  }
}
