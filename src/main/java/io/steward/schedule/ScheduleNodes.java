package io.steward.schedule;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryMergedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.partition.MigrationListener;
import com.hazelcast.partition.MigrationState;
import com.hazelcast.partition.ReplicaMigrationEvent;
import io.steward.bus.Addresses;
import io.steward.spi.Cluster;
import io.steward.spi.PutIfAbsent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Which nodes run the schedule module ({@code steward.schedule.nodes}, filtered by live membership) and which of
 * them fires a job: for {@code cluster-once}, the owner of the partition that holds the job's key, so its claims
 * are local operations, when that owner runs the module; otherwise the highest rendezvous hash of the job and
 * the schedule nodes. Each entry carries the node's offset to the cluster clock; a node whose clock fence is up
 * ({@link Fence}, {@link ClockBound}: its offset is beyond {@code schedule.clockFenceMs} while most others are
 * within it) says so in its entry, and is left out of cluster-once placement (its partitions' jobs go to the
 * rendezvous of the others) but still fires every-node jobs. When a node dies, Hazelcast promotes the backup of its
 * partitions on a survivor, which then owns the job's key, its claim state, and the job. Views can briefly disagree while membership or
 * partitions change; the claim settles who fires a tick.
 */
final class ScheduleNodes {

  static final String NODES = "steward.schedule.nodes";
  /** How often a node checks that it is listed and reloads its view of the registry. */
  static final long REASSERT_MS = 2_000;
  private static final Logger LOG = LoggerFactory.getLogger(ScheduleNodes.class);

  /** A schedule node as its entry describes it; {@code offsetMs} is its latest published clock offset (or null). */
  record Info(String id, String name, List<String> modules, boolean clockFenced, Long offsetMs) {
  }

  /** The live schedule nodes, and those of them that may fire cluster-once jobs (not clock-fenced), sorted. */
  record View(Map<String, Info> nodes, List<String> ids, List<String> placeable) {
    static final View EMPTY = new View(Map.of(), List.of(), List.of());
  }

  private final Vertx vertx;
  private final HazelcastInstance hz;
  private final IMap<String, String> map;
  private final String myId;
  private final Runnable onChange;
  /** Run once the view is loaded, before this node registers: the clock fence's first check. */
  private final Runnable beforeRegister;
  private final AtomicBoolean refreshPending = new AtomicBoolean();
  private final AtomicBoolean changePending = new AtomicBoolean();
  private volatile View view = View.EMPTY;
  /** The node id owning each partition (null: none, or not a Vert.x node), refreshed on changes and every second. */
  private volatile String[] owners = new String[0];
  private long ownersTimer = -1;
  private final List<UUID> listeners = new ArrayList<>();
  private UUID membershipId;
  private UUID migrationId;
  private volatile boolean stopped;
  /** A registry check is under way ({@link #reassert}: one at a time). */
  private volatile boolean reasserting;
  /** A reload of the registry is under way; another was asked for meanwhile ({@link #refresh}: one at a time). */
  private final AtomicBoolean loading = new AtomicBoolean();
  private final AtomicBoolean loadAgain = new AtomicBoolean();
  /** This node's registry entry as last written, put back by {@link #reassert} when it is missing. */
  private volatile String entry;
  /** Whether this node's clock fence is up, written in its entry. */
  private volatile boolean clockFenced;
  /** This node's offset to the cluster clock, as last measured and as last written in its entry. */
  private volatile long offsetMs;
  private volatile long publishedOffsetMs;
  private long reassertTimer = -1;

  ScheduleNodes(Vertx vertx, HazelcastInstance hz, String myId, Runnable onChange, Runnable beforeRegister) {
    this.beforeRegister = beforeRegister;
    this.vertx = vertx;
    this.hz = hz;
    this.map = hz.getMap(NODES);
    this.myId = myId;
    this.onChange = onChange;
  }

  View view() {
    return view;
  }

  /** Registers this node and starts following the registry, membership and partition migrations. */
  Future<Void> start() {
    // Registering a map or migration listener waits for every member: on a worker, never on the event loop.
    return vertx.executeBlocking(() -> new UUID[] {map.addEntryListener(new RegistryListener(), false),
        hz.getCluster().addMembershipListener(new Membership()),
        hz.getPartitionService().addMigrationListener(new Migrations())}, false)
      .compose(ids -> {
        listeners.add(ids[0]);
        membershipId = ids[1];
        migrationId = ids[2];
        refreshOwners();
        ownersTimer = vertx.setPeriodic(1_000, t -> refreshOwners());
        return load(); // the other nodes' offsets, for the clock fence's first check
      })
      .compose(v -> {
        beforeRegister.run();
        JsonObject me = new JsonObject().put("id", myId);
        entry = withFence(me);
        return Future.fromCompletionStage(map.setAsync(myId, entry));
      })
      .compose(v -> load())
      .onSuccess(v -> {
        describeLater(0);
        reassertTimer = vertx.setPeriodic(REASSERT_MS, t -> reassert());
      });
  }

  /**
   * Puts this node's entry back when it is missing, then reloads the view. After a split brain heals, each side's
   * oldest member has removed the other side's entries, and the merge brings an entry back only if its side held a
   * copy of the entry's partition; an entry also goes when both members holding its partition die together. A
   * node missing from the registry fires nothing ({@link #fires}) although its fence is down and it lists every job,
   * and nothing else puts it back; the others' views load at membership changes, before the merge's entries arrive,
   * so they may count on a node that does not count itself. The reload makes every view converge within this
   * period, whatever events were missed.
   */
  private void reassert() {
    String mine = entry;
    if (reasserting || stopped || mine == null || !hz.getLifecycleService().isRunning()) {
      return; // one check at a time: while the cluster is in turmoil an operation may wait for a minute
    }
    reasserting = true;
    // Asynchronous (an entry processor): a blocking putIfAbsent on a worker every period piled up while operations
    // hung (campaign seed 2052).
    Future.fromCompletionStage(map.submitToKey(myId, new PutIfAbsent(mine)), vertx.getOrCreateContext()).map(prior -> {
      boolean added = prior == null;
      if (added && stopped) {
        map.removeAsync(myId); // left meanwhile: the others take this node's jobs over now, not at its member removal
        return Boolean.FALSE;
      }
      return added;
    }).onComplete(ar -> {
      reasserting = false;
      if (ar.failed()) {
        LOG.debug("Could not check this node's schedule registry entry: {}", ar.cause().getMessage());
      } else if (ar.result()) {
        LOG.info("This node was missing from the schedule registry {} (after a split-brain merge or the loss of its "
          + "entry's partition) and fired no job meanwhile; listed again", NODES);
      }
      refresh();
    });
  }

  /** This node's entry: its id (name, modules), its clock offset and whether its clock fence is up. */
  private String withFence(JsonObject me) {
    long offset = offsetMs;
    publishedOffsetMs = offset;
    me.put("clockOffsetMs", offset);
    return (clockFenced ? me.put("clockFenced", true) : me).encode();
  }

  /** This node's offset to the cluster clock, just measured: written in its entry when it moved by 250 ms or more. */
  synchronized void offset(long ms) {
    offsetMs = ms;
    String mine = entry;
    if (mine == null || stopped || Math.abs(ms - publishedOffsetMs) < 250 || !hz.getLifecycleService().isRunning()) {
      return;
    }
    JsonObject me = new JsonObject(mine);
    me.remove("clockFenced");
    entry = withFence(me);
    map.setAsync(myId, entry);
  }

  /** The offsets to the cluster clock that the other live schedule nodes last published. */
  List<Long> peerOffsets() {
    List<Long> out = new ArrayList<>();
    for (Info info : view.nodes.values()) {
      if (!info.id().equals(myId) && info.offsetMs() != null) {
        out.add(info.offsetMs());
      }
    }
    return out;
  }

  /**
   * This node's clock fence went up or down: its entry says so, and every node (this one too) reloads its view, so
   * that the others take its cluster-once jobs over (or give them back).
   */
  synchronized void clockFenced(boolean fenced) {
    clockFenced = fenced;
    String mine = entry;
    if (mine == null || stopped) {
      return; // not registered yet: start() writes the flag
    }
    JsonObject me = new JsonObject(mine);
    me.remove("clockFenced");
    entry = withFence(me);
    if (hz.getLifecycleService().isRunning()) {
      map.setAsync(myId, entry);
    }
  }

  /** Leaves the registry first, so the others take this node's jobs over while it still answers. */
  Future<Void> leave() {
    stopped = true;
    if (ownersTimer >= 0) {
      vertx.cancelTimer(ownersTimer);
    }
    if (reassertTimer >= 0) {
      vertx.cancelTimer(reassertTimer);
    }
    List<UUID> ids = List.copyOf(listeners);
    listeners.clear();
    UUID membership = membershipId;
    UUID migration = migrationId;
    // Removing a map or migration listener waits for every member: on a worker, never on the event loop.
    return vertx.executeBlocking(() -> {
      ids.forEach(id -> safely(() -> map.removeEntryListener(id)));
      if (membership != null) {
        safely(() -> hz.getCluster().removeMembershipListener(membership));
      }
      if (migration != null) {
        safely(() -> hz.getPartitionService().removeMigrationListener(migration));
      }
      return hz.getLifecycleService().isRunning();
    }, false).compose(running -> running
      ? Future.fromCompletionStage(map.removeAsync(myId)).<Void>mapEmpty()
      : Future.<Void>succeededFuture()).otherwiseEmpty();
  }

  /** The node's name and modules come from the node registry once the node has announced itself. */
  private void describeLater(int attempt) {
    if (stopped || attempt > 120) {
      return;
    }
    vertx.setTimer(attempt == 0 ? 200 : 500, t -> vertx.eventBus()
      .request(Addresses.node(myId, Addresses.Nodes.INFO), new JsonObject(), new DeliveryOptions().setLocalOnly(true).setSendTimeout(2_000))
      .onSuccess(reply -> {
        JsonObject info = (JsonObject) reply.body();
        JsonObject me = new JsonObject().put("id", myId).put("name", info.getString("name"))
          .put("modules", info.getJsonArray("modules", new JsonArray()));
        if (!stopped) {
          entry = withFence(me);
          map.setAsync(myId, entry);
        }
      })
      .onFailure(err -> describeLater(attempt + 1)));
  }

  private Future<Void> load() {
    return vertx.executeBlocking(() -> Map.copyOf(map), false).map(all -> {
      Set<String> live = Cluster.liveNodeIds(vertx);
      Map<String, Info> nodes = new HashMap<>();
      all.forEach((id, json) -> {
        if (live.contains(id)) {
          JsonObject o = new JsonObject(json);
          List<String> modules = o.getJsonArray("modules") == null ? null
            : o.getJsonArray("modules").stream().map(Object::toString).toList();
          nodes.put(id, new Info(id, o.getString("name"), modules, o.getBoolean("clockFenced", false),
            o.getLong("clockOffsetMs")));
        }
      });
      List<String> ids = new ArrayList<>(nodes.keySet());
      ids.sort(null);
      List<String> placeable = ids.stream().filter(id -> !nodes.get(id).clockFenced()).toList();
      view = new View(Map.copyOf(nodes), List.copyOf(ids), placeable);
      return null;
    });
  }

  /** Reloads the registry soon, then tells the schedulers. Coalesces bursts of events. */
  private void refresh() {
    if (stopped || !refreshPending.compareAndSet(false, true)) {
      return;
    }
    vertx.setTimer(50, t -> {
      refreshPending.set(false);
      if (!loading.compareAndSet(false, true)) {
        loadAgain.set(true); // the read under way may predate the change: read again when it ends
        return;
      }
      load().onComplete(ar -> {
        loading.set(false);
        if (ar.failed()) {
          LOG.warn("Could not read the schedule node registry {}: {}; retrying", NODES, ar.cause().getMessage());
          refresh();
          return;
        }
        if (loadAgain.getAndSet(false)) {
          refresh();
        }
        changed();
      });
    });
  }

  /** Partition owners or the view moved: the schedulers reassess which jobs they fire. */
  private void changed() {
    if (stopped || !changePending.compareAndSet(false, true)) {
      return;
    }
    vertx.setTimer(20, t -> {
      changePending.set(false);
      refreshOwners();
      onChange.run();
    });
  }

  /** Takes a snapshot of the partition owners, so placing a job is an array lookup. */
  void refreshOwners() {
    if (!hz.getLifecycleService().isRunning()) {
      return;
    }
    int count = hz.getPartitionService().getPartitions().size();
    String[] snapshot = new String[count];
    for (com.hazelcast.partition.Partition p : hz.getPartitionService().getPartitions()) {
      Member owner = p.getOwner();
      snapshot[p.getPartitionId()] = owner == null ? null : Cluster.nodeIdOf(owner);
    }
    owners = snapshot;
  }

  int partition(Scheduler.Entry e) {
    if (e.partition < 0) {
      e.partition = hz.getPartitionService().getPartition(e.name()).getPartitionId();
    }
    return e.partition;
  }

  /**
   * The claim batch of a job: its partition. A batch must stay within one partition: Hazelcast hands every
   * partition of a multi-key operation the whole key set to filter, and its backups carry them all.
   */
  int batchGroup(Scheduler.Entry e) {
    return partition(e);
  }

  /** Whether this node fires the job now. */
  boolean fires(Scheduler.Entry e) {
    View v = view;
    if (!v.nodes.containsKey(myId)) {
      return false; // starting or leaving: not a schedule node in the cluster's eyes
    }
    RunOn runOn = e.rec.spec().runOn();
    if (runOn.isSelector()) {
      List<String> eligible = new ArrayList<>();
      for (String id : v.ids) {
        Info info = v.nodes.get(id);
        if (runOn.admits(id, info.name(), info.modules()) && (runOn.every() || !info.clockFenced())) {
          eligible.add(id);
        }
      }
      if (!eligible.contains(myId)) {
        return false;
      }
      return runOn.every() || myId.equals(rendezvous(eligible, e.name()));
    }
    if (runOn.every()) {
      return true;
    }
    if (v.nodes.get(myId).clockFenced()) {
      return false; // the others fire its cluster-once jobs meanwhile
    }
    String[] snapshot = owners;
    int p = partition(e);
    String ownerId = p < snapshot.length ? snapshot[p] : null;
    Info owner = ownerId == null ? null : v.nodes.get(ownerId);
    if (owner != null && !owner.clockFenced()) {
      return ownerId.equals(myId);
    }
    return myId.equals(rendezvous(v.placeable, e.name()));
  }

  /** The node with the highest hash of (node, job): stable, and only the jobs of a departed node move. */
  static String rendezvous(Collection<String> ids, String job) {
    String best = null;
    long bestScore = Long.MIN_VALUE;
    for (String id : ids) {
      long score = mix(id.hashCode() * 0x9E3779B97F4A7C15L ^ job.hashCode());
      if (best == null || score > bestScore || (score == bestScore && id.compareTo(best) < 0)) {
        best = id;
        bestScore = score;
      }
    }
    return best;
  }

  private static long mix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  private boolean isOldest() {
    Set<Member> members = hz.getCluster().getMembers();
    return !members.isEmpty() && members.iterator().next().localMember();
  }

  private static void safely(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      LOG.debug("Ignored while leaving: {}", e.getMessage());
    }
  }

  /** Merge events too: a split-brain merge brings entries back without an add or update event. */
  private final class RegistryListener implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String>,
    EntryRemovedListener<String, String>, EntryMergedListener<String, String> {
    @Override
    public void entryMerged(EntryEvent<String, String> event) {
      refresh();
    }

    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      refresh();
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      refresh();
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
      refresh();
    }
  }

  private final class Membership implements MembershipListener {
    @Override
    public void memberAdded(MembershipEvent event) {
      refresh();
    }

    @Override
    public void memberRemoved(MembershipEvent event) {
      String id = Cluster.nodeIdOf(event.getMember());
      if (id != null && isOldest() && !stopped) {
        map.removeAsync(id); // keep the registry bounded: one entry per live schedule node
      }
      refresh();
    }
  }

  private final class Migrations implements MigrationListener {
    @Override
    public void migrationStarted(MigrationState state) {
      // nothing moved yet
    }

    @Override
    public void migrationFinished(MigrationState state) {
      changed();
    }

    @Override
    public void replicaMigrationCompleted(ReplicaMigrationEvent event) {
      if (event.getReplicaIndex() == 0) {
        changed();
      }
    }

    @Override
    public void replicaMigrationFailed(ReplicaMigrationEvent event) {
      changed();
    }
  }
}
