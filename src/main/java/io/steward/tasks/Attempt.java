package io.steward.tasks;

import io.vertx.core.Vertx;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One attempt of a task: the {@link Runnable} a supervisor's worker runs, and the {@link TaskContext} its
 * handler sees. Its phase is guarded by the task record's monitor, so a normal end, a timeout and a cancel
 * cannot both win; the interrupt of a timeout or cancel is delivered under the same monitor, and a worker
 * clears any interrupt before it takes its next task.
 */
final class Attempt implements Runnable, TaskContext {

  enum Phase { QUEUED, RUNNING, ENDED, ABANDONED }

  final TaskRecord record;
  final int number;
  private final Runner runner;
  // Guarded by record.
  private Phase phase = Phase.QUEUED;
  private Thread thread;
  private long deadline;
  private boolean slotReplaced;
  /**
   * A durable attempt holds a dispatch permit from its start record until the record of how it ended (final, or
   * restarting) is written: at most the dispatch window of a node's durable tasks are recorded as running.
   */
  private final AtomicBoolean permit = new AtomicBoolean();
  private volatile boolean abandoned;
  /** Its slot of a cluster-wide limit, while it holds one (only in a supervisor with {@code clusterLimit}). */
  // A field and a VarHandle, not an AtomicReference: no object per attempt where there is no limit.
  private volatile ClusterLimiter.Slot limitSlot;
  private static final java.lang.invoke.VarHandle LIMIT_SLOT;

  static {
    try {
      LIMIT_SLOT = java.lang.invoke.MethodHandles.lookup().findVarHandle(Attempt.class, "limitSlot", ClusterLimiter.Slot.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
  /** Its span while it runs, when tracing is on; ended once, with the attempt ({@link #endSpan}). Guarded by record. */
  private volatile io.opentelemetry.api.trace.Span span;

  Attempt(Runner runner, TaskRecord record, int number) {
    this.runner = runner;
    this.record = record;
    this.number = number;
  }

  void takePermit() {
    permit.set(true);
  }

  /** Gives the durable dispatch permit back, once. */
  boolean releasePermit() {
    return permit.compareAndSet(true, false);
  }

  /** It holds {@code slot} of its supervisor's cluster limit (null: a rate limit only, nothing to give back). */
  void holdLimit(ClusterLimiter.Slot slot) {
    limitSlot = slot;
  }

  /**
   * Gives its cluster-limit slot back, once: when its handler returned, or when it will not run (cancelled, refused,
   * taken over elsewhere). Without a limit, one read.
   */
  void releaseLimit() {
    if (limitSlot == null) {
      return;
    }
    ClusterLimiter.Slot s = (ClusterLimiter.Slot) LIMIT_SLOT.getAndSet(this, null);
    if (s != null) {
      s.limiter().release(s);
    }
  }

  /** QUEUED to RUNNING on {@code thread}; {@code deadline} is when the watchdog times it out (0: never). */
  void started(Thread thread, long deadline) {
    synchronized (record) {
      if (phase != Phase.QUEUED) {
        throw new IllegalStateException("task " + record.id() + ": attempt " + number + " started twice (" + phase + ")");
      }
      this.thread = thread;
      this.deadline = deadline;
      phase = Phase.RUNNING;
    }
  }

  void span(io.opentelemetry.api.trace.Span started) {
    synchronized (record) {
      span = started;
    }
  }

  /** Ends its span, if any, once: as an error when {@code error} is not null. Untraced, one volatile read. */
  void endSpan(String error) {
    if (span == null) {
      return;
    }
    io.opentelemetry.api.trace.Span ending;
    synchronized (record) {
      ending = span;
      span = null;
    }
    io.steward.observe.Tracing.end(ending, error);
  }

  /** When the watchdog times it out, or 0 (never). */
  long deadline() {
    return deadline;
  }

  /**
   * Its handler returned: RUNNING to ENDED, unless it was abandoned meanwhile (then it was a zombie and is not
   * one any more). True if it had been abandoned. On the worker's thread, whose pending interrupt it clears.
   */
  boolean handlerReturned() {
    synchronized (record) {
      boolean wasAbandoned = phase == Phase.ABANDONED;
      if (wasAbandoned) {
        record.zombieReturned();
      } else {
        phase = Phase.ENDED;
      }
      thread = null;
      Thread.interrupted(); // an interrupt meant for this attempt must not reach the next task on this thread
      return wasAbandoned;
    }
  }

  /** An abandoned attempt whose thread's slot in the pool was given to a new worker. */
  boolean slotReplaced() {
    synchronized (record) {
      return slotReplaced;
    }
  }

  /**
   * RUNNING to ABANDONED (timeout, cancel): interrupts its thread, and frees its slot if {@code workers} may replace
   * one more zombie. False if it is not running any more.
   */
  boolean abandon(Workers workers) {
    synchronized (record) {
      if (phase != Phase.RUNNING) {
        return false;
      }
      phase = Phase.ABANDONED;
      abandoned = true;
      if (thread != null) {
        // Counted before the interrupt, so whoever sees the handler react also sees the zombie.
        slotReplaced = workers.abandoned();
        record.zombieStarted();
        thread.interrupt();
      }
      return true;
    }
  }

  @Override
  public void run() {
    runner.run(this);
  }

  @Override
  public String id() {
    return record.id();
  }

  @Override
  public String type() {
    return record.typeName();
  }

  @Override
  public String supervisor() {
    return record.supervisorName();
  }

  @Override
  public int attempt() {
    return number;
  }

  @Override
  public Object payload() {
    return record.spec.payload();
  }

  @Override
  public Vertx vertx() {
    return runner.vertx();
  }

  @Override
  public String node() {
    return runner.nodeId();
  }

  @Override
  public boolean abandoned() {
    return abandoned;
  }
}
