package io.steward.tasks;

import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.InvalidConfigurationException;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicate;
import com.hazelcast.query.Predicates;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Steward's task maps in Hazelcast (named {@code steward.tasks.*}, so cluster.xml's {@code steward.*} settings
 * apply: one synchronous backup, latest update wins after a split brain):
 * <ul>
 *   <li>{@code steward.tasks.durable}: live durable tasks (pending, running, restarting), by id, with their owner
 *       node. Written before a durable task is accepted and before each attempt starts.</li>
 *   <li>{@code steward.tasks.finished}: final records of durable tasks and of lost temporary ones, kept
 *       {@code finishedTtlMs}, about {@code maxFinished} per node.</li>
 *   <li>{@code steward.tasks.deadletters}: tasks that reached their restart limit, about {@code maxDeadLetters}
 *       per node.</li>
 *   <li>{@code steward.tasks.keys}: idempotency key → task id.</li>
 *   <li>{@code steward.tasks.live}: per node, the temporary tasks it holds (see {@link LiveRecord}).</li>
 * </ul>
 * Every call is asynchronous, batched where it is frequent; the two queries run on a worker thread.
 */
final class TaskStore {

  static final String DURABLE = "steward.tasks.durable";
  static final String FINISHED = "steward.tasks.finished";
  static final String DEAD_LETTERS = "steward.tasks.deadletters";
  static final String KEYS = "steward.tasks.keys";
  static final String LIVE = "steward.tasks.live";
  private static final int MAX_BATCH = 1_000;
  private static final Logger LOG = LoggerFactory.getLogger(TaskStore.class);

  private final Vertx vertx;
  private final ContextInternal context;
  private final IMap<String, HazelcastJsonValue> durable;
  private final IMap<String, HazelcastJsonValue> finished;
  private final IMap<String, HazelcastJsonValue> deadLetters;
  private final IMap<String, String> keys;
  private final IMap<String, String> live;
  private final BatchWriter<HazelcastJsonValue> durableWriter;
  private final BatchWriter<HazelcastJsonValue> finishedWriter;
  private final BatchWriter<Boolean> durableDeleter;

  TaskStore(Vertx vertx, ContextInternal context, HazelcastInstance hz, TasksConfig config) {
    this.vertx = vertx;
    this.context = context;
    configure(hz, FINISHED, config.maxFinished(), config.finishedTtlMs());
    configure(hz, DEAD_LETTERS, config.maxDeadLetters(), 0);
    durable = hz.getMap(DURABLE);
    finished = hz.getMap(FINISHED);
    deadLetters = hz.getMap(DEAD_LETTERS);
    keys = hz.getMap(KEYS);
    live = hz.getMap(LIVE);
    durableWriter = new BatchWriter<>(context, MAX_BATCH, durable::putAllAsync);
    finishedWriter = new BatchWriter<>(context, MAX_BATCH, finished::putAllAsync);
    durableDeleter = new BatchWriter<>(context, MAX_BATCH, batch -> durable.submitToKeys(batch.keySet(), Processors.Delete.INSTANCE));
  }

  /**
   * Bounds a map by size (LRU, per node, approximate: Hazelcast evicts per partition) and age, on top of the
   * {@code steward.*} settings from cluster.xml. Nodes configured differently keep the first configuration.
   */
  private static void configure(HazelcastInstance hz, String name, int maxSize, long ttlMs) {
    MapConfig config = new MapConfig(hz.getConfig().findMapConfig(name)).setName(name);
    config.getEvictionConfig().setEvictionPolicy(EvictionPolicy.LRU).setMaxSizePolicy(MaxSizePolicy.PER_NODE)
      .setSize(Math.max(1, maxSize));
    if (ttlMs > 0) {
      config.setTimeToLiveSeconds((int) Math.max(1, ttlMs / 1000));
    }
    try {
      hz.getConfig().addMapConfig(config);
    } catch (InvalidConfigurationException e) {
      LOG.warn("The cluster already bounds map {} differently from this node's tasks settings ({}); the first "
        + "node's settings stay in force. Give every node the same tasks.maxFinished, tasks.finishedTtlMs and "
        + "tasks.maxDeadLetters.", name, e.getMessage());
    }
  }

  // ---- durable tasks

  /** Records (or updates) a live durable task. */
  Future<Void> putDurable(String id, JsonObject record) {
    return durableWriter.write(id, new HazelcastJsonValue(record.encode()));
  }

  /** Records a final state, then forgets the live record (a survivor that finds both keeps the final one). */
  Future<Void> finishDurable(String id, JsonObject record) {
    return putFinished(id, record).compose(v -> durableDeleter.write(id, Boolean.TRUE));
  }

  Future<Void> putFinished(String id, JsonObject record) {
    return finishedWriter.write(id, new HazelcastJsonValue(record.encode()));
  }

  Future<JsonObject> getDurable(String id) {
    return json(durable.getAsync(id));
  }

  Future<JsonObject> getFinished(String id) {
    return json(finished.getAsync(id));
  }

  /** Takes over a durable task of {@code deadOwner}: the updated record, or null when another node won. */
  Future<JsonObject> claim(String id, String deadOwner, String me) {
    return Future.fromCompletionStage(durable.submitToKey(id, new Processors.Claim(deadOwner, me)), context)
      .map(s -> s == null ? null : new JsonObject(s));
  }

  /** Live durable records whose owner is not among {@code liveNodes} (a query: on a worker thread). */
  Future<List<JsonObject>> orphans(Set<String> liveNodes) {
    Predicate<String, HazelcastJsonValue> notLive = Predicates.not(Predicates.in("node", liveNodes.toArray(new String[0])));
    return vertx.executeBlocking(() -> values(durable.values(notLive)), false);
  }

  // ---- dead letters

  Future<Void> deadLetter(String id, JsonObject record) {
    return Future.fromCompletionStage(deadLetters.setAsync(id, new HazelcastJsonValue(record.encode())), context);
  }

  /** Dead letters, optionally of one supervisor and type (a query: on a worker thread). */
  Future<List<JsonObject>> deadLetters(String supervisor, String type) {
    List<Predicate<String, HazelcastJsonValue>> filters = new ArrayList<>();
    if (supervisor != null) {
      filters.add(Predicates.equal("supervisor", supervisor));
    }
    if (type != null) {
      filters.add(Predicates.equal("type", type));
    }
    @SuppressWarnings("unchecked")
    Predicate<String, HazelcastJsonValue> p = filters.isEmpty() ? Predicates.alwaysTrue()
      : Predicates.and(filters.toArray(new Predicate[0]));
    return vertx.executeBlocking(() -> values(deadLetters.values(p)), false);
  }

  // ---- idempotency keys

  /** Binds the key to {@code id}; the id it was already bound to, or null when the binding is new. */
  Future<String> bindKey(String key, String id) {
    return Future.fromCompletionStage(keys.submitToKey(key, new Processors.BindKey(id)), context);
  }

  Future<Boolean> rebindKey(String key, String expected, String id) {
    return Future.fromCompletionStage(keys.submitToKey(key, new Processors.RebindKey(expected, id)), context);
  }

  void unbindKey(String key, String id) {
    keys.submitToKey(key, new Processors.UnbindKey(id));
  }

  // ---- the record of temporary tasks

  Future<Void> putLive(String node, String record) {
    return Future.fromCompletionStage(live.setAsync(node, record), context);
  }

  /** Removes a node's record and returns it: whoever gets it non-null reports the node's tasks. */
  Future<String> takeLive(String node) {
    return Future.fromCompletionStage(live.removeAsync(node), context);
  }

  Future<Set<String>> liveOwners() {
    return vertx.executeBlocking(live::keySet, false);
  }

  Future<Void> removeLive(String node) {
    return Future.fromCompletionStage(live.deleteAsync(node), context).mapEmpty();
  }

  private Future<JsonObject> json(CompletionStage<HazelcastJsonValue> stage) {
    return Future.fromCompletionStage(stage, context).map(v -> v == null ? null : new JsonObject(v.getValue()));
  }

  private static List<JsonObject> values(Collection<HazelcastJsonValue> values) {
    List<JsonObject> out = new ArrayList<>(values.size());
    for (HazelcastJsonValue v : values) {
      out.add(new JsonObject(v.getValue()));
    }
    return out;
  }
}
