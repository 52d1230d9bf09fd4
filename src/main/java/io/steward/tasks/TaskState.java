package io.steward.tasks;

import java.util.ArrayList;
import java.util.List;

/** Where a task is in its life. The last five are final. */
public enum TaskState {
  PENDING("pending"),
  RUNNING("running"),
  /** Waiting for its backoff delay before the next attempt. */
  RESTARTING("restarting"),
  SUCCEEDED("succeeded"),
  FAILED("failed"),
  TIMED_OUT("timed-out"),
  CANCELLED("cancelled"),
  /** Its node died and it was temporary: the outcome is unknown (it may have run, partly or fully). */
  LOST("lost");

  public static final List<String> NAMES;

  static {
    List<String> names = new ArrayList<>();
    for (TaskState s : values()) {
      names.add(s.wire);
    }
    NAMES = List.copyOf(names);
  }

  private final String wire;

  TaskState(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public boolean isFinal() {
    return ordinal() >= SUCCEEDED.ordinal();
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
