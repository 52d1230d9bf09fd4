package io.steward.tasks;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Where a task is in its life, and the one table of the moves between states that are legal ({@link #next()}).
 * The last six are final: nothing leaves them (their ordinals are the highest: {@link #isFinal}; a new state goes
 * last, as the record of temporary tasks encodes states by position: {@link LiveRecord}). {@link TaskRecord} checks every change of a task's state
 * against this table and throws {@link IllegalStateException} on any other move (a bug, never a client's
 * input: client errors are refused before a task's state is touched).
 *
 * <pre>
 *   PENDING    -> RUNNING (an attempt begins), RESTARTING (taken over after its node died while running it),
 *                 FAILED (its workers stopped), CANCELLED, LOST (reported lost by a survivor), REFUSED (its record
 *                 could not be written)
 *   RUNNING    -> SUCCEEDED, FAILED, TIMED_OUT (its attempt ended for good), RESTARTING, CANCELLED
 *   RESTARTING -> PENDING (its backoff delay passed), CANCELLED
 *   SCHEDULED  -> PENDING (its due time came), FAILED (its node stopped), CANCELLED, LOST, REFUSED
 * </pre>
 * A task submitted with {@code delayMs} or {@code runAt} starts in SCHEDULED (its record's constructor); every
 * other task starts in PENDING.
 */
enum TaskState {
  PENDING("pending"),
  RUNNING("running"),
  /** Waiting for its backoff delay before the next attempt. */
  RESTARTING("restarting"),
  /** Submitted with {@code delayMs} or {@code runAt}: waiting for its due time; no attempt has begun. */
  SCHEDULED("scheduled"),
  SUCCEEDED("succeeded"),
  FAILED("failed"),
  TIMED_OUT("timed-out"),
  CANCELLED("cancelled"),
  /** Its node died and it was temporary: the outcome is unknown (it may have run, partly or fully). */
  LOST("lost"),
  /**
   * Its submit was refused (503, or 504 when the write's outcome was unknown): the record its submitter wrote in its
   * place when it took the write back, a tombstone that no node claims and no live copy replaces after a split brain
   * ({@link RecordsMergePolicy}). Last: see {@link LiveRecord}.
   */
  REFUSED("refused");

  public static final List<String> NAMES;

  static {
    List<String> names = new ArrayList<>();
    for (TaskState s : values()) {
      names.add(s.wire);
    }
    NAMES = List.copyOf(names);
    // The table of legal transitions: the only one. Final states have none.
    PENDING.next = EnumSet.of(RUNNING, RESTARTING, FAILED, CANCELLED, LOST, REFUSED);
    RUNNING.next = EnumSet.of(SUCCEEDED, FAILED, TIMED_OUT, RESTARTING, CANCELLED);
    RESTARTING.next = EnumSet.of(PENDING, CANCELLED);
    SCHEDULED.next = EnumSet.of(PENDING, FAILED, CANCELLED, LOST, REFUSED);
    for (TaskState s : values()) {
      if (s.next == null) {
        s.next = EnumSet.noneOf(TaskState.class);
      }
    }
  }

  private final String wire;
  private EnumSet<TaskState> next;

  TaskState(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public boolean isFinal() {
    return ordinal() >= SUCCEEDED.ordinal();
  }

  /** The states this one may move to (none for a final state). */
  Set<TaskState> next() {
    return EnumSet.copyOf(next);
  }

  /** True when a task in this state may move to {@code to}. */
  boolean canMoveTo(TaskState to) {
    return next.contains(to);
  }

  public static TaskState of(String wire) {
    for (TaskState s : values()) {
      if (s.wire.equals(wire)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown task state '" + wire + "'");
  }
}
