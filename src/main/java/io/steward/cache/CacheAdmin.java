package io.steward.cache;

import com.hazelcast.cluster.Member;
import io.steward.bus.Addresses;
import io.steward.spi.Cluster;
import io.steward.bus.Fields;
import io.steward.bus.StewardException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The caches themselves: create one at run time, list them, and their cluster-wide statistics. */
final class CacheAdmin {

  private static final long NODE_STATS_TIMEOUT_MS = 3_000;

  private final Vertx vertx;
  private final Caches caches;
  private final CacheConfig config;
  private final EntryOperations entries;

  CacheAdmin(Vertx vertx, Caches caches, CacheConfig config, EntryOperations entries) {
    this.vertx = vertx;
    this.caches = caches;
    this.config = config;
    this.entries = entries;
  }

  /** {@code {name, ...options}} → {@code {name, created, options}}: created false when it already existed, identical. */
  Future<JsonObject> create(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    String name = CacheSpec.checkName("name", f.string("name"));
    CacheSpec spec = CacheSpec.read(name, f, config.defaults());
    if (!config.allowCreate()) {
      throw StewardException.badRequest("name", "caches cannot be created at run time here (cache.allowCreate is "
        + "false); declare '" + name + "' in cache.caches on every node");
    }
    return vertx.executeBlocking(() -> caches.createBlocking(spec), false)
      .recover(err -> Future.failedFuture(Hz.translate(err, "create of cache '" + name + "'", true)))
      .compose(created -> caches.open(spec).map(h -> new JsonObject().put("name", name).put("created", created)
        .put("options", spec.toJson())));
  }

  /** {@code {}} → {@code {count, caches: [{name, options}]}}. */
  Future<JsonObject> list(Message<Object> msg) {
    Fields.of(msg.body()).done();
    return vertx.executeBlocking(caches::listBlocking, false)
      .recover(err -> Future.failedFuture(Hz.translate(err, "list of caches", false)))
      .map(list -> new JsonObject().put("count", list.size()).put("caches", new JsonArray(new ArrayList<>(list))));
  }

  /** Per node, {@code {cache}} → this node's share of the statistics. */
  Future<JsonObject> nodeStats(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    String cache = f.string("cache");
    f.done();
    return caches.handle(cache).map(CacheHandle::localStats);
  }

  /**
   * {@code {cache}} → the statistics summed over every node that runs the cache module ({@code nodes} holds
   * each share, {@code unreported} the nodes that did not answer), plus {@code size} and the options.
   */
  Future<JsonObject> stats(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    String cache = f.string("cache");
    f.done();
    return caches.handle(cache).compose(h -> {
      if (!h.spec().stats()) {
        return entries.size(h).map(size -> new JsonObject().put("cache", cache).put("statsEnabled", false)
          .put("size", size).put("options", h.spec().toJson()));
      }
      Map<String, JsonObject> shares = new TreeMap<>();
      List<String> unreported = new ArrayList<>();
      List<Future<?>> asks = new ArrayList<>();
      JsonObject body = new JsonObject().put("cache", cache);
      Map<String, Boolean> members = new TreeMap<>(); // node id → holds data
      for (Member m : Cluster.hazelcast(vertx).getCluster().getMembers()) {
        String node = Cluster.nodeIdOf(m);
        if (node != null) {
          members.put(node, !m.isLiteMember());
        }
      }
      members.forEach((node, holdsData) -> asks.add(vertx.eventBus().request(Addresses.node(node,
          Addresses.Cache.NODE_STATS), body, new DeliveryOptions().setSendTimeout(NODE_STATS_TIMEOUT_MS))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            shares.put(node, (JsonObject) ar.result().body());
          } else if (holdsData) {
            unreported.add(node); // a lite member without the cache module served nothing and owns nothing
          }
        })));
      Future<Integer> size = entries.size(h);
      return Future.join(new ArrayList<>(asks)).transform(x -> size).map(n -> ClusterStats.sum(cache, shares, unreported)
        .put("statsEnabled", true).put("size", n).put("options", h.spec().toJson()));
    });
  }
}
