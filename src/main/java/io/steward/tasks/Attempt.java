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
  Phase phase = Phase.QUEUED;
  Thread thread;
  long deadlineNanos;
  boolean slotReplaced;
  /**
   * A durable attempt holds a dispatch permit from its start record until the record of how it ended (final, or
   * restarting) is written: at most the dispatch window of a node's durable tasks are recorded as running.
   */
  private final AtomicBoolean permit = new AtomicBoolean();
  private volatile boolean abandoned;

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

  void markAbandoned() {
    abandoned = true;
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
