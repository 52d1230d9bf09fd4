package io.steward.tasks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Comparator;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A named supervisor on one node: its worker pool and its admission. A task holds one unit of the
 * supervisor's capacity ({@code workers + maxQueued}) from acceptance until it is final, waiting to restart
 * included, so a supervisor never holds more than its capacity and a full one answers 429 at once.
 *
 * <p>Durable tasks pass one more gate: at most {@code workers} of them are dispatched (recorded as running in
 * Hazelcast, then handed to the pool) at a time, which bounds how many could run twice if this node dies.
 */
final class Supervisor {

  final SupervisorConfig config;
  final Workers workers;
  private final AtomicInteger admitted = new AtomicInteger();
  /** Attempts running (a sum of per-thread cells: workers change it all the time). */
  private final LongAdder running = new LongAdder();
  private final AtomicInteger restarting = new AtomicInteger();
  /** Durable tasks waiting for a dispatch permit, in their order (priority with aging); bounded by admission. */
  private final PriorityBlockingQueue<TaskRecord> durableQueue = new PriorityBlockingQueue<>(16,
    Comparator.comparingLong(TaskRecord::order).thenComparingLong(TaskRecord::orderSeq));
  /** When it was paused (cluster clock of the node that paused it), or 0 while it runs ({@link Pauses}). */
  private volatile long pausedAt;
  private final AtomicInteger durableDispatched = new AtomicInteger();
  /** Meters by task type, so the submit path finds them with one lookup. */
  private final ConcurrentHashMap<String, TaskMeters> metersByType = new ConcurrentHashMap<>();
  private final Counter rejected;
  private final List<Meter> meters = new ArrayList<>();
  private final MeterRegistry registry;
  /** Its cluster-wide limits on this node, or null when it has none (then its tasks pay nothing for them). */
  volatile ClusterLimiter limiter;

  /** Measures how long tasks wait in its queue (aging); a priority step is worth {@code agingMs} of waiting. */
  private final java.time.Clock elapsed;
  private final long agingMs;
  private final java.util.concurrent.atomic.AtomicLong orderSeq = new java.util.concurrent.atomic.AtomicLong();

  Supervisor(SupervisorConfig config, MeterRegistry registry) {
    this(config, registry, MonotonicClock.INSTANCE, TasksConfig.DEFAULT_PRIORITY_AGING_MS);
  }

  Supervisor(SupervisorConfig config, MeterRegistry registry, java.time.Clock elapsed, long agingMs) {
    this.config = config;
    this.elapsed = elapsed;
    this.agingMs = agingMs;
    this.registry = registry;
    this.workers = new Workers(config.name(), config.workers(), config.maxZombies(), config.virtualThreads());
    String name = config.name();
    rejected = Counter.builder("steward_tasks_rejected").description("Submits refused because the supervisor was full (429)")
      .tag("supervisor", name).register(registry);
    meters.add(rejected);
    meters.add(Gauge.builder("steward_tasks_queued", this, Supervisor::queued).description("Tasks waiting for a worker")
      .tag("supervisor", name).register(registry));
    meters.add(Gauge.builder("steward_tasks_running", running, LongAdder::sum).description("Attempts running (zombies not included)")
      .tag("supervisor", name).register(registry));
    meters.add(Gauge.builder("steward_tasks_restarting", restarting, AtomicInteger::get).description("Tasks waiting for their backoff delay")
      .tag("supervisor", name).register(registry));
    meters.add(Gauge.builder("steward_tasks_zombies", workers, Workers::zombies)
      .description("Timed-out or cancelled handlers that ignored the interrupt and still hold a thread")
      .tag("supervisor", name).register(registry));
    meters.add(Gauge.builder("steward_tasks_paused", this, s -> s.paused() ? 1 : 0)
      .description("1 while the supervisor is paused cluster-wide (nothing starts; submits are queued), else 0")
      .tag("supervisor", name).register(registry));
    meters.add(Gauge.builder("steward_tasks_capacity", config, SupervisorConfig::capacity).description("workers + maxQueued")
      .tag("supervisor", name).register(registry));
  }

  String name() {
    return config.name();
  }

  // ---------------------------------------------------------------- admission: a unit per task until it is final

  /**
   * One unit of a supervisor's capacity, held by one task from its admission until it is final (or not started
   * after all). The only way to give a unit back, and it gives it back once: a second {@link #release} (a refused
   * write of a task a cancel ended meanwhile, a takeover whose adopted task ended) changes nothing, so the
   * supervisor's count can never drift below what it holds.
   */
  static final class Admission {
    private static final VarHandle HELD;

    static {
      try {
        HELD = MethodHandles.lookup().findVarHandle(Admission.class, "held", boolean.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private final Supervisor supervisor;
    @SuppressWarnings("unused") // through HELD
    private volatile boolean held = true;

    private Admission(Supervisor supervisor) {
      this.supervisor = supervisor;
    }

    Supervisor supervisor() {
      return supervisor;
    }

    /** Gives the unit back; true the first time, false (and nothing changes) after. Any thread. */
    boolean release() {
      if (HELD.compareAndSet(this, true, false)) {
        supervisor.admitted.decrementAndGet();
        return true;
      }
      return false;
    }
  }

  /** One unit of capacity for a submitted task; null, and counted as rejected, when the supervisor is full. */
  Admission admit() {
    Admission a = tryAdmit();
    if (a == null) {
      rejected.increment();
    }
    return a;
  }

  /** One unit of capacity (for a task taken over: not a client's submit, so not counted); null when full. */
  Admission tryAdmit() {
    int cap = config.capacity();
    for (;;) {
      int n = admitted.get();
      if (n >= cap) {
        return null;
      }
      if (admitted.compareAndSet(n, n + 1)) {
        return new Admission(this);
      }
    }
  }

  int admitted() {
    return admitted.get();
  }

  int free() {
    return config.capacity() - admitted.get();
  }

  // ---------------------------------------------------------------- paused cluster-wide (Pauses)

  /** Nothing starts from now on (attempts running carry on); {@code at} says since when. Any thread. */
  void pause(long at) {
    pausedAt = Math.max(1, at);
    workers.pause();
  }

  /** Starts its queue again; true if it was paused. Any thread (the caller pumps the durable queue). */
  boolean resume() {
    boolean was = pausedAt != 0;
    pausedAt = 0;
    workers.resume();
    return was;
  }

  boolean paused() {
    return pausedAt != 0;
  }

  // ---------------------------------------------------------------- attempts running, tasks waiting to restart

  void attemptStarted() {
    running.increment();
  }

  void attemptStopped() {
    running.decrement();
  }

  void restartWaiting() {
    restarting.incrementAndGet();
  }

  void restartOver() {
    restarting.decrementAndGet();
  }

  /** Takes a queued attempt back from the workers (a cancel); false if a worker has taken it already. */
  boolean withdraw(Attempt a) {
    return workers.remove(a);
  }

  /**
   * Nothing runs, waits for a worker, or is dispatched (durable). Paused, nothing runs: its queue cannot start, so a
   * stopping node does not wait for it (durable tasks go to the survivors, temporary ones are reported lost).
   */
  boolean idle() {
    return running.sum() == 0 && (paused() || workers.queued() == 0 && durableDispatched.get() == 0
      && (limiter == null || limiter.waiting() == 0));
  }

  // ---------------------------------------------------------------- the durable dispatch gate

  /**
   * The number of durable attempts that may be dispatched (recorded as running, then handed to the pool) at
   * once: the workers, plus {@code dispatchAhead} to keep recording while they run. It bounds how many tasks a
   * survivor reports as possible duplicates if this node dies.
   */
  int dispatchWindow() {
    return config.workers() + config.dispatchAhead();
  }

  /**
   * Gives a task its place in the queue as it enters it: the time now, less {@code priority · agingMs}. The lowest
   * starts first, so a task is never passed by one of any priority queued more than
   * {@code (MAX_PRIORITY - its priority) · agingMs} after it (the starvation bound). Any thread.
   */
  void stamp(TaskRecord r) {
    r.place(elapsed.millis() - r.spec.priority() * agingMs, r.durable() ? orderSeq.incrementAndGet() : 0);
  }

  /** A pending durable task waits for a dispatch permit. */
  void queueDurable(TaskRecord r) {
    durableQueue.add(r);
  }

  /** The next durable task waiting for a permit, or null. */
  TaskRecord nextDurable() {
    return durableQueue.poll();
  }

  void unqueueDurable(TaskRecord r) {
    durableQueue.remove(r);
  }

  boolean durableWaiting() {
    return !durableQueue.isEmpty();
  }

  /** True when the dispatch window has room for one more durable attempt. */
  boolean dispatchRoom() {
    return durableDispatched.get() < dispatchWindow();
  }

  /** Takes a dispatch permit if the window has room and no durable task waits for one before; false if not. */
  boolean tryTakeDispatchPermit() {
    if (!durableQueue.isEmpty()) {
      return false;
    }
    for (;;) {
      int n = durableDispatched.get();
      if (n >= dispatchWindow()) {
        return false;
      }
      if (durableDispatched.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Takes a dispatch permit (after {@link #dispatchRoom}, on the event loop that alone takes them so). */
  void takeDispatchPermit() {
    durableDispatched.incrementAndGet();
  }

  void giveDispatchPermitBack() {
    durableDispatched.decrementAndGet();
  }

  /** The meters of one task type here, made at its first use. */
  TaskMeters metersOf(String type, TaskMeters.Cache meters) {
    TaskMeters m = metersByType.get(type);
    return m != null ? m : metersByType.computeIfAbsent(type, t -> meters.of(name(), t));
  }

  double queued() {
    return workers.queued() + durableQueue.size() + (limiter == null ? 0 : limiter.waiting());
  }

  JsonObject stats() {
    JsonObject o = new JsonObject().put("workers", config.workers()).put("maxQueued", config.maxQueued())
      .put("virtualThreads", workers.virtual()).put("running", running.sum()).put("queued", (int) queued())
      .put("restarting", restarting.get()).put("zombies", workers.zombies()).put("admitted", admitted.get())
      .put("threads", workers.threads()).put("paused", paused());
    if (pausedAt != 0) {
      o.put("pausedAt", pausedAt);
    }
    ClusterLimiter l = limiter;
    return l == null ? o : o.put("limit", l.stats());
  }

  void close() {
    workers.shutdownNow();
    meters.forEach(registry::remove);
  }
}
