package io.steward.spi;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.MergePolicyConfig;
import com.hazelcast.config.ReplicatedMapConfig;
import com.hazelcast.core.EntryAdapter;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.partition.Partition;
import com.hazelcast.partition.PartitionLostEvent;
import com.hazelcast.replicatedmap.ReplicatedMap;
import com.hazelcast.spi.merge.DiscardMergePolicy;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;

/**
 * The partitions whose every copy this node's side of the cluster lost, and whose keys a module must not write here
 * until the copies are back: the cache's entries (campaign seeds 2336 and 2374), the tasks module's key bindings. One
 * per module that uses it ({@link Use}: its words in answers and log lines, its setting, its replicated map). Hazelcast reports a partition lost when its owner and
 * every backup left this side at once, and gives it a new, empty owner here. If those members only got cut off (a
 * split), the other side still holds the entries; a write here would start a key again from nothing (an update from
 * {@code initial}), and with {@code cluster.minimumSize} the merge keeps the copy of the side merged into: that fresh
 * copy, over the other side's with every write acknowledged before the split. A node cannot tell a split from deaths,
 * so with the minimum set, writes of such a key are refused (503, nothing applied) until a split-brain merge brings a
 * copy back or the module's hold ({@code cache.lostPartitionHoldSeconds}, {@code tasks.lostPartitionHoldSeconds}) has passed since the loss (the members died: nothing will come).
 *
 * <p>Every member hears of each loss (a cluster-wide {@code PartitionLostListener}) and holds the partition at once;
 * members that join later learn the holds from a replicated map of its own ({@link Use#map}: partition → lost replica index and
 * the cluster time of the loss, each entry living as long as the hold), which every member loads before it serves a
 * write: filled synchronously on a worker, at start and after each merge. The other side's holds never enter it at a
 * merge (discard policy): its losses are this side's copies. A merging member knows what it brings: the partitions
 * it owned when the merge began, less those its own side had lost (it owns those too, empty). Hazelcast sends the
 * entries of its partitions, and waits for them to be applied, before it reports MERGED; then this member releases
 * those partitions cluster-wide. A side merges member by member: a partition is released by the member that brings
 * it, not by the first one to merge.
 *
 * <p>A merging member serves no write from MERGING until it has read the cluster's holds after MERGED: until then it
 * knows only its old side's, and a key the cluster it joins had lost would be written there from nothing before its
 * own copy arrives, and win the merge (campaign seed 2459).
 *
 * <p>Where it does not hold: the cluster's holds unreadable after a merge (a WARN says so: the old side's are kept); a write sent between Hazelcast assigning the new owner and the loss event reaching the
 * node that serves it (milliseconds: the event comes from the master); a merge whose operations fail (Hazelcast logs
 * {@code While merging...} and still reports MERGED); a hold that ends by time while the split goes on (the WARN
 * {@code Cache writes resumed ... without a merge}); reads, which answer what this side has (nothing) meanwhile.
 */
public final class LostPartitions {

  /**
   * What a module holds: {@code writes} (as in "Cache writes refused"), {@code refused} (as in "Writes of the key are
   * refused"), the setting of the hold, the name of its replicated map of held partitions (partition id →
   * "lostReplicaIndex:clusterTimeMillis"), and what to watch when a hold ends by time.
   */
  public record Use(String writes, String refused, String setting, String map, String afterHold) {
    /** The cache's. */
    public static final Use CACHE = new Use("Cache writes", "Writes of the key are refused", "cache.lostPartitionHoldSeconds",
      "steward.cache-lost-partitions", "this side's new writes of those keys replace the other side's copies (see "
        + "steward_cache_merge_conflicts_total)");
    /** The tasks module's key bindings. */
    public static final Use TASK_KEYS = new Use("Keyed task submits", "Submits of the key are refused",
      "tasks.lostPartitionHoldSeconds", "steward.tasks-lost-partitions", "a key bound on this side meanwhile may be "
        + "bound on the other side too, and the two sides' tasks of that key may both have run");
  }
  private static final Logger LOG = LoggerFactory.getLogger(LostPartitions.class);
  private static final long BURST_MS = 1_000;

  private record Hold(int lostReplicas, long lostAt) {
    static Hold parse(String s) {
      int colon = s.indexOf(':');
      return new Hold(Integer.parseInt(s.substring(0, colon)), Long.parseLong(s.substring(colon + 1)));
    }

    String encode() {
      return lostReplicas + ":" + lostAt;
    }

    Hold with(Hold other) {
      return new Hold(Math.max(lostReplicas, other.lostReplicas), Math.max(lostAt, other.lostAt));
    }
  }

  private final Vertx vertx;
  private final HazelcastInstance hz;
  private final Use use;
  private final long holdMs;
  /** The fewest backups a map of the module keeps: a loss of fewer replicas left a copy of every map's entries. */
  private final IntSupplier fewestBackups;
  private final Map<Integer, Hold> held = new ConcurrentHashMap<>();
  private final Set<Integer> burst = new TreeSet<>();
  private final AtomicBoolean sweepPending = new AtomicBoolean();
  private volatile ReplicatedMap<Integer, String> shared;
  private volatile Set<Integer> bringing = Set.of();
  /** Between MERGING and the cluster's holds read after MERGED: every write is refused. */
  private volatile boolean merging;
  private volatile UUID lostListener;
  private volatile UUID lifecycleListener;
  private volatile UUID entryListener;

  public LostPartitions(Vertx vertx, HazelcastInstance hz, Use use, int holdSeconds, IntSupplier fewestBackups) {
    this.vertx = vertx;
    this.hz = hz;
    this.use = use;
    this.holdMs = TimeUnit.SECONDS.toMillis(holdSeconds);
    this.fewestBackups = fewestBackups;
  }

  /** The number of partitions held now (a gauge). */
  public int size() {
    return held.size();
  }

  /**
   * Starts listening and loads the holds the cluster has (blocking: a worker thread). With the hold set to 0, or no
   * {@code cluster.minimumSize}, nothing is held.
   */
  public void startBlocking() {
    if (holdMs == 0) {
      return;
    }
    hz.getConfig().addReplicatedMapConfig(new ReplicatedMapConfig(use.map())
      .setAsyncFillup(false)
      .setStatisticsEnabled(false)
      .setMergePolicyConfig(new MergePolicyConfig(DiscardMergePolicy.class.getName(), MergePolicyConfig.DEFAULT_BATCH_SIZE)));
    shared = hz.getReplicatedMap(use.map());
    entryListener = shared.addEntryListener(new EntryAdapter<>() {
      @Override
      public void entryAdded(EntryEvent<Integer, String> event) {
        heard(event.getKey(), event.getValue());
      }

      @Override
      public void entryUpdated(EntryEvent<Integer, String> event) {
        heard(event.getKey(), event.getValue());
      }

      @Override
      public void entryRemoved(EntryEvent<Integer, String> event) {
        if (held.remove(event.getKey()) != null) {
          LOG.debug("Partition {} released by another member's merge", event.getKey());
        }
      }
    });
    load(Set.of());
    lifecycleListener = hz.getLifecycleService().addLifecycleListener(this::lifecycle);
    lostListener = hz.getPartitionService().addPartitionLostListener(this::lost);
  }

  /** Stops listening (blocking: a worker thread); each listener on its own, so that one failure leaves none behind. */
  public void stopBlocking() {
    UUID lost = lostListener;
    UUID lifecycle = lifecycleListener;
    UUID entries = entryListener;
    lostListener = null;
    lifecycleListener = null;
    entryListener = null;
    quietly(() -> {
      if (lost != null) {
        hz.getPartitionService().removePartitionLostListener(lost);
      }
    });
    quietly(() -> {
      if (lifecycle != null) {
        hz.getLifecycleService().removeLifecycleListener(lifecycle);
      }
    });
    quietly(() -> {
      if (entries != null && shared != null) {
        shared.removeEntryListener(entries);
      }
    });
  }

  private static void quietly(Runnable removal) {
    try {
      removal.run();
    } catch (RuntimeException e) {
      LOG.debug("Could not remove a lost-partition listener while leaving: {}", e.getMessage());
    }
  }

  /**
   * Why a write of {@code key} to a map of {@code backups} backups must be refused here, or null. Costs a map
   * lookup when nothing is held (every write asks).
   */
  public String refusal(String key, int backups) {
    if (merging) {
      return "this node is merging into the other side of a split brain: until the merge is over it does not know "
        + "which keys that side lost, and a write of one of those would start it again from nothing, replacing the copy "
        + "this node brings (the hold of " + use.setting() + "). " + use.refused() + " here for the few seconds "
        + "of the merge; nothing was applied; retry";
    }
    if (held.isEmpty()) {
      return null;
    }
    int partition = hz.getPartitionService().getPartition(key).getPartitionId();
    Hold hold = held.get(partition);
    if (hold == null || hold.lostReplicas < backups) {
      return null; // a copy of this map's entries survived there (fewer replicas lost than it keeps)
    }
    long left = hold.lostAt + holdMs - hz.getCluster().getClusterTime();
    if (left <= 0) {
      return null;
    }
    return "this side of the cluster lost every copy of the key's partition (" + partition + ": its owner and "
      + "backups left at once, see the WARN 'Partitions lost'); if they are only cut off, the other side holds the "
      + "entry, and a write here would replace it when the sides merge. " + use.refused() + " until a "
      + "split-brain merge brings the copies back, at most " + use.setting() + " (" + holdMs / 1_000
      + " s, " + (left + 999) / 1_000 + " s left); nothing was applied; retry later";
  }

  private void lost(PartitionLostEvent event) {
    if (event.getLostBackupCount() < fewestBackups.getAsInt()) {
      return; // a backup was promoted: every map of the module still has its entries here
    }
    Hold hold = new Hold(event.getLostBackupCount(), hz.getCluster().getClusterTime());
    int partition = event.getPartitionId();
    held.merge(partition, hold, Hold::with);
    boolean first;
    synchronized (burst) {
      first = burst.isEmpty();
      burst.add(partition);
    }
    if (first) {
      vertx.setTimer(BURST_MS, t -> reportHeld());
    }
    scheduleSweep(holdMs);
    vertx.executeBlocking(() -> {
      ReplicatedMap<Integer, String> map = shared;
      if (map != null) {
        String before = map.get(partition);
        Hold merged = before == null ? hold : Hold.parse(before).with(hold);
        map.put(partition, merged.encode(), holdMs, TimeUnit.MILLISECONDS);
      }
      return null;
    }, false).onFailure(err -> LOG.debug("Could not share the hold of partition {}: {}", partition, err.toString()));
  }

  private void heard(int partition, String value) {
    Hold hold = Hold.parse(value);
    if (hold.lostAt + holdMs > hz.getCluster().getClusterTime()) {
      held.merge(partition, hold, Hold::with);
      scheduleSweep(hold.lostAt + holdMs - hz.getCluster().getClusterTime());
    }
  }

  void lifecycle(LifecycleEvent event) {
    if (event.getState() == LifecycleEvent.LifecycleState.MERGE_FAILED) {
      merging = false; // still a member of its own side, with its own holds
    } else if (event.getState() == LifecycleEvent.LifecycleState.MERGING) {
      // Until the cluster's holds are read (after MERGED), this member's are its old side's: campaign seed 2459.
      merging = true;
      // What this member brings to the cluster it merges into: the entries of the partitions it owns, less those its
      // side had lost (it owns those as well, empty).
      Member self = hz.getCluster().getLocalMember();
      Set<Integer> owned = new HashSet<>();
      for (Partition p : hz.getPartitionService().getPartitions()) {
        if (self.equals(p.getOwner()) && !held.containsKey(p.getPartitionId())) {
          owned.add(p.getPartitionId());
        }
      }
      bringing = owned;
    } else if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
      Set<Integer> brought = bringing;
      Set<Integer> before = new HashSet<>(held.keySet());
      bringing = Set.of();
      vertx.executeBlocking(() -> {
        Set<Integer> released = new TreeSet<>();
        for (int p : brought) {
          if (shared.remove(p) != null) {
            released.add(p);
          }
        }
        load(before);
        if (!released.isEmpty()) {
          LOG.info("{} resumed for {} partition(s) that the cluster this node merged into had lost ({}): "
            + "this node brought their entries in the split-brain merge", use.writes(), released.size(), range(released));
        }
        return null;
      }, false).onComplete(ar -> merging = false).onFailure(err -> {
        if (!hz.getLifecycleService().isRunning()) {
          LOG.debug("Left the cluster right after a merge; the partitions it brought stay held until the hold ends");
          return;
        }
        LOG.warn("After a split-brain merge, could not release the partitions this node brought or read the cluster's "
          + "held partitions ({}); {} of their keys may be refused until {} has passed", err.toString(),
          use.writes().toLowerCase(java.util.Locale.ROOT), use.setting());
      });
    }
  }

  /**
   * Reads the cluster's holds (blocks until this member's replica of the map is filled); of {@code mine} (this
   * member's holds from the side it merged from), those the cluster does not hold are dropped: the cluster merged
   * into had their copies.
   */
  private void load(Set<Integer> mine) {
    Map<Integer, String> all = Map.copyOf(shared);
    for (int p : mine) {
      if (!all.containsKey(p)) {
        held.remove(p);
      }
    }
    all.forEach(this::heard);
  }

  private void scheduleSweep(long inMs) {
    if (sweepPending.compareAndSet(false, true)) {
      vertx.setTimer(Math.max(1, inMs) + 50, t -> sweep());
    }
  }

  private void sweep() {
    sweepPending.set(false);
    long now = hz.getCluster().getClusterTime();
    Set<Integer> ended = new TreeSet<>();
    long next = Long.MAX_VALUE;
    for (Map.Entry<Integer, Hold> e : held.entrySet()) {
      long left = e.getValue().lostAt + holdMs - now;
      if (left <= BURST_MS) { // together with those that end within a second: one line per burst
        if (held.remove(e.getKey(), e.getValue())) {
          ended.add(e.getKey());
        }
      } else {
        next = Math.min(next, left);
      }
    }
    if (!ended.isEmpty()) {
      LOG.warn("{} resumed for {} partition(s) ({}) after {} ({} s) without a split-brain merge bringing their copies "
          + "back: their members died (the entries are gone), or a split still cuts them off. In that case, when the "
          + "sides merge, {}; raise {} to wait longer", use.writes(), ended.size(), range(ended), use.setting(),
          holdMs / 1_000, use.afterHold(), use.setting());
    }
    if (next != Long.MAX_VALUE) {
      scheduleSweep(next);
    }
  }

  private void reportHeld() {
    Set<Integer> ids;
    synchronized (burst) {
      ids = new TreeSet<>(burst);
      burst.clear();
    }
    LOG.warn("{} refused for the keys of {} partition(s) ({}) whose every copy left this node's cluster at "
        + "once: they are answered 503 until a split-brain merge brings the copies back, at most {} ({} s). If the "
        + "members that held them died, the entries are gone and the hold only delays new writes; set {} to 0 to take "
        + "writes at once (a merge may then lose the other side's copies)", use.writes(), ids.size(), range(ids),
        use.setting(), holdMs / 1_000, use.setting());
  }

  private static String range(Set<Integer> ids) {
    if (ids.size() <= 8) {
      return "partitions " + ids;
    }
    return "partitions " + ids.stream().limit(8).toList() + " and " + (ids.size() - 8) + " more";
  }
}
