package io.steward.tasks;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryExpiredListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.steward.observe.RateLimitedLog;
import io.steward.spi.HazelcastInternals;
import io.steward.spi.VertxInternals;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A supervisor's cluster-wide limits on one node ({@link LimitConfig}): a pending attempt of a limited supervisor
 * waits here, in its partition's queue (first in, first out), until it holds a slot in {@code steward.tasks.limits}
 * ({@link LimitSlots.Acquire}); then it goes on to the workers as any other. Its slot is given back when its handler
 * returns (a timed-out handler that ignores the interrupt keeps it until then), or when the attempt will not run.
 *
 * <p>Waiting is woken, not polled: an entry listener on the map tells every node when a slot is freed anywhere, a
 * rate-limited queue sets a timer for the moment its oldest start leaves the window, and a timer every
 * {@link #RETRY_MS} is the safety net (a missed event, a failed call, a clock the test moved). A node that leaves
 * the cluster gives its slots back: each survivor frees them when Hazelcast reports it gone (and a sweep frees any
 * of an absent node). Everything but the release runs on the tasks verticle's event loop.
 */
final class ClusterLimiter {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterLimiter.class);
  private static final RateLimitedLog WARNINGS = new RateLimitedLog(LOG, 10_000);
  static final long RETRY_MS = 1_000;
  /** Attempts asked for in one step. */
  private static final int BATCH = 64;

  /** A slot an attempt holds: given back once ({@link Attempt#releaseLimit}). */
  record Slot(ClusterLimiter limiter, String key, String id) {
  }

  /** One partition's queue. On the event loop. */
  private static final class Waiting {
    final ArrayDeque<Attempt> queue = new ArrayDeque<>();
    boolean inFlight;
    /** Counts the map's events for this key: a denial answered after one is tried again at once. */
    long events;
    boolean timerSet;
  }

  private final Supervisor supervisor;
  private final LimitConfig limit;
  private final Vertx vertx;
  private final Context context;
  private final Mailbox mailbox;
  private final String nodeId;
  private final IMap<String, String> slots;
  private final LongSupplier clusterNow;
  private final Consumer<Attempt> granted;
  private final Map<String, Waiting> waiting = new HashMap<>();
  private final AtomicInteger waitingCount = new AtomicInteger();
  private final AtomicLong denied = new AtomicLong();
  private final AtomicLong grants = new AtomicLong();
  private final Counter reclaimed;
  private final MeterRegistry registry;
  private final Gauge waitingGauge;
  private UUID listener;
  private long safetyTimer = -1;

  /**
   * @param clusterNow the cluster clock (what the rate window is measured on, alike on every node)
   * @param granted    told, on the event loop, of an attempt that now holds its slot (and still awaits its turn)
   */
  ClusterLimiter(Supervisor supervisor, LimitConfig limit, Vertx vertx, Context context, Mailbox mailbox, String nodeId,
                 IMap<String, String> slots, LongSupplier clusterNow, Consumer<Attempt> granted, MeterRegistry registry) {
    this.supervisor = supervisor;
    this.limit = limit;
    this.vertx = vertx;
    this.context = context;
    this.mailbox = mailbox;
    this.nodeId = nodeId;
    this.slots = slots;
    this.clusterNow = clusterNow;
    this.granted = granted;
    this.registry = registry;
    String name = supervisor.name();
    reclaimed = Counter.builder("steward_tasks_limit_reclaimed").description("Cluster-limit slots of departed nodes this "
      + "node freed (if such a node was only cut off, its attempts may still run: the limit can be exceeded by as many)")
      .tag("supervisor", name).register(registry);
    waitingGauge = Gauge.builder("steward_tasks_limit_waiting", waitingCount, AtomicInteger::get)
      .description("Pending attempts waiting for a cluster-limit slot").tag("supervisor", name).register(registry);
  }

  /** Listens to the map (a registration on every member: on a worker) and starts the safety timer. */
  void start() {
    safetyTimer = vertx.setPeriodic(RETRY_MS, t -> retryAll());
    vertx.executeBlocking(() -> slots.addEntryListener(new Events(supervisor.name()), false), false)
      .onSuccess(id -> mailbox.post(() -> {
        if (safetyTimer < 0) { // stopped meanwhile
          removeListener(id);
        } else {
          listener = id;
          retryAll(); // whatever was freed before the listener was there
        }
      }))
      .onFailure(err -> LOG.warn("Could not listen for freed cluster-limit slots of supervisor '{}' ({}); its waiting "
        + "tasks retry every {} ms instead of at once.", supervisor.name(), err.getMessage(), RETRY_MS));
  }

  void stop() {
    if (safetyTimer >= 0) {
      vertx.cancelTimer(safetyTimer);
      safetyTimer = -1;
    }
    if (listener != null) {
      removeListener(listener);
      listener = null;
    }
    registry.remove(reclaimed);
    registry.remove(waitingGauge);
  }

  private void removeListener(UUID id) {
    // A member that leaves takes its listeners with it: a failure here changes nothing.
    vertx.executeBlocking(() -> slots.removeEntryListener(id), false);
  }

  /** The map's changes of this supervisor's entries: a slot freed, a window expired. Hazelcast's event threads. */
  private final class Events implements EntryUpdatedListener<String, String>, EntryRemovedListener<String, String>,
    EntryExpiredListener<String, String> {
    private final String name;

    Events(String name) {
      this.name = name;
    }

    private void changed(EntryEvent<String, String> e) {
      String key = e.getKey();
      if (name.equals(LimitSlots.supervisorOf(key))) {
        mailbox.post(() -> {
          Waiting w = waiting.get(key);
          if (w != null) {
            w.events++;
            pump(key, w);
          }
        });
      }
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> e) {
      changed(e);
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> e) {
      changed(e);
    }

    @Override
    public void entryExpired(EntryEvent<String, String> e) {
      changed(e);
    }
  }

  // ---------------------------------------------------------------- waiting for a slot

  /** A pending attempt waits for its slot. Any thread. */
  void offer(Attempt a) {
    if (VertxInternals.isRunningOnContext(context)) {
      enqueue(a);
    } else {
      mailbox.post(() -> enqueue(a));
    }
  }

  private void enqueue(Attempt a) {
    String partition = null;
    if (limit.partitionBy() != null) {
      partition = LimitConfig.partitionValue(a.record.spec.payload(), limit.partitionBy());
      if (partition == null) {
        partition = ""; // checked at submit; a task adopted from a node configured otherwise shares one queue
      }
    }
    String key = LimitSlots.key(supervisor.name(), partition);
    Waiting w = waiting.computeIfAbsent(key, k -> new Waiting());
    w.queue.add(a);
    waitingCount.incrementAndGet();
    pump(key, w);
  }

  /** Asks for slots for the head of a partition's queue, unless a request is in flight. On the event loop. */
  private void pump(String key, Waiting w) {
    if (w.inFlight) {
      return;
    }
    while (!w.queue.isEmpty() && !w.queue.peek().record.awaits(w.queue.peek())) {
      w.queue.poll(); // cancelled while it waited
      waitingCount.decrementAndGet();
    }
    if (w.queue.isEmpty()) {
      waiting.remove(key, w);
      return;
    }
    String[] ids = new String[Math.min(BATCH, w.queue.size())];
    int i = 0;
    for (Attempt a : w.queue) {
      if (i == ids.length) {
        break;
      }
      ids[i++] = slotId(a);
    }
    w.inFlight = true;
    long eventsBefore = w.events;
    // Confirmed: a grant only the entry's owner holds (its backup cut off) would be granted again by the promoted
    // backup if the owner were removed (UnbackedLimitSlotTest). A failed ask is made again with the same slot ids,
    // which finds the slots held if the first had been applied.
    HazelcastInternals.submitToKeyConfirmed(slots, key, new LimitSlots.Acquire(nodeId, ids, limit.clusterLimit(),
        limit.ratePerPeriod(), limit.periodMs(), clusterNow.getAsLong()))
      .whenComplete((res, err) -> mailbox.post(() -> answered(key, w, ids, eventsBefore, res, err)));
  }

  private void answered(String key, Waiting w, String[] ids, long eventsBefore, long[] res, Throwable err) {
    w.inFlight = false;
    if (err != null) {
      WARNINGS.warn("acquire", "Could not take a cluster-limit slot of supervisor '" + supervisor.name() + "' ("
        + err.getMessage() + "); its tasks wait and it retries every " + RETRY_MS + " ms. Check the cluster's health "
        + "(/health; with cluster.minimumSize, a node on the smaller side of a partition cannot take slots).");
      return; // the safety timer asks again
    }
    int n = (int) res[0];
    grants.addAndGet(n);
    for (int i = 0; i < n; i++) {
      Attempt a = w.queue.poll();
      waitingCount.decrementAndGet();
      a.holdLimit(limit.clusterLimit() > 0 ? new Slot(this, key, ids[i]) : null);
      if (a.record.awaits(a)) {
        granted.accept(a);
      } else {
        a.releaseLimit(); // cancelled while its slot was being taken
      }
    }
    if (w.queue.isEmpty()) {
      waiting.remove(key, w);
      return;
    }
    if (n == ids.length) {
      pump(key, w); // the batch went through: ask for the next
      return;
    }
    denied.incrementAndGet();
    if (res[1] > 0) { // the rate window: its oldest start leaves it at res[1]
      if (!w.timerSet) {
        w.timerSet = true;
        vertx.setTimer(Math.max(1, res[1] - clusterNow.getAsLong()), t -> {
          w.timerSet = false;
          pump(key, w);
        });
      }
    } else if (w.events != eventsBefore) {
      pump(key, w); // a slot was freed while the request was in flight
    }
  }

  private void retryAll() {
    waiting.forEach((key, w) -> pump(key, w));
  }

  /** The slot of an attempt: its task and attempt number, so a step Hazelcast runs again finds it held. */
  private static String slotId(Attempt a) {
    return a.record.id() + "#" + a.number;
  }

  // ---------------------------------------------------------------- giving slots back

  /** Gives a slot back; retried every {@link #RETRY_MS} until the map answers. Any thread. */
  void release(Slot s) {
    slots.submitToKey(s.key(), new LimitSlots.Release(s.id(), limit.periodMs())).whenComplete((res, err) -> {
      if (err != null) {
        WARNINGS.warn("release", "Could not give back cluster-limit slot " + s.id() + " of supervisor '"
          + supervisor.name() + "' (" + err.getMessage() + "); retrying every " + RETRY_MS + " ms, and it is freed when "
          + "this node leaves the cluster. Until then it counts against clusterLimit.");
        vertx.setTimer(RETRY_MS, t -> release(s));
      }
    });
  }

  /**
   * Frees the slots of nodes that left the cluster ({@code departed}, reported by Hazelcast; null for a sweep, which
   * frees those of absent nodes taken over {@code graceMs} ago). Blocking call, on a worker.
   */
  void reclaim(Set<String> live, String departed, long graceMs) {
    vertx.executeBlocking(() -> slots.executeOnEntries(new LimitSlots.Reclaim(supervisor.name(), live,
        departed == null ? "" : departed, clusterNow.getAsLong() - graceMs, limit.periodMs())), false)
      .onSuccess(results -> {
        int freed = 0;
        for (Object n : results.values()) {
          freed += n == null ? 0 : (Integer) n;
        }
        if (freed > 0) {
          reclaimed.increment(freed);
          LOG.warn("Freed {} cluster-limit slot(s) of supervisor '{}' held by {} (no longer a cluster member). If such a "
              + "node is only cut off (a partition, a pause past failure detection) and still runs those attempts, up to "
              + "{} more than clusterLimit {} run until they end (steward_tasks_limit_reclaimed_total counts these).",
            freed, supervisor.name(), departed != null ? "node " + departed : "departed nodes", freed, limit.clusterLimit());
        }
        mailbox.post(this::retryAll);
      })
      .onFailure(err -> WARNINGS.warn("reclaim", "Could not free the cluster-limit slots of departed nodes for supervisor '"
        + supervisor.name() + "' (" + err.getMessage() + "); retrying in the next sweep (tasks.orphanSweepMs)."));
  }

  int waiting() {
    return waitingCount.get();
  }

  JsonObject stats() {
    JsonObject o = new JsonObject().put("waiting", waitingCount.get()).put("granted", grants.get())
      .put("denied", denied.get()).put("reclaimed", (long) reclaimed.count());
    if (limit.clusterLimit() > 0) {
      o.put("clusterLimit", limit.clusterLimit());
    }
    if (limit.ratePerPeriod() > 0) {
      o.put("ratePerPeriod", limit.ratePerPeriod()).put("periodMs", limit.periodMs());
    }
    if (limit.partitionBy() != null) {
      o.put("partitionBy", limit.partitionBy());
    }
    return o;
  }
}
