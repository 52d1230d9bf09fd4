package io.steward.fanout;

/**
 * The pure heart of a fan-out: a state machine fed with item outcomes. It says which item may be sent
 * next (at most {@code concurrency} are active at once: in flight, or waiting to be retried), when the mode
 * is decided, and what each item's final status is. It knows nothing of Vert.x, timers or JSON; the driver
 * ({@link FanoutRun}, {@link Gather}) wires it to the bus.
 *
 * <p>Once decided (mode satisfied or failed, or {@link #deadline()}), it is sealed: items never sent become
 * {@link Status#NOT_SENT}, items in flight {@link Status#ABANDONED}, items waiting for a retry keep their last
 * failure; later outcomes are ignored. Not thread-safe: one run lives on one event loop.
 */
final class Aggregation {

  private static final byte PENDING = -1;
  private static final byte IN_FLIGHT = -2;
  private static final byte BACKOFF_FAILED = -3;
  private static final byte BACKOFF_TIMED_OUT = -4;
  private static final Status[] STATUSES = Status.values();

  private final Mode mode;
  private final int total;
  private final int quorum;
  private final int concurrency;
  /** Per item: a {@link Status} ordinal once final, else one of the negative states above. */
  private final byte[] states;
  /** Items in the order they reached a final status (sealed ones last, by index). */
  private final int[] order;
  private int finished;
  private int next;
  private int active;
  private int inFlight;
  private final int[] counts = new int[STATUSES.length];
  private Outcome outcome;

  /**
   * @param quorum the successes needed under {@link Mode#QUORUM} (1..total); ignored by the other modes
   */
  Aggregation(Mode mode, int total, int quorum, int concurrency) {
    if (total < 0 || concurrency < 1 || (mode == Mode.QUORUM && (quorum < 1 || quorum > total))) {
      throw new IllegalArgumentException("total " + total + ", quorum " + quorum + ", concurrency " + concurrency);
    }
    this.mode = mode;
    this.total = total;
    this.quorum = quorum;
    this.concurrency = concurrency;
    this.states = new byte[total];
    java.util.Arrays.fill(states, PENDING);
    this.order = new int[total];
    decide();
  }

  /** The next item to send, now marked in flight; or -1 when the window is full, all were sent, or it is decided. */
  int take() {
    if (outcome != null || next >= total || active >= concurrency) {
      return -1;
    }
    states[next] = IN_FLIGHT;
    active++;
    inFlight++;
    return next++;
  }

  /** The item failed and will be sent again after a backoff; it keeps its place in the window. */
  void backoff(int item, Status failure) {
    if (outcome != null) {
      return;
    }
    expect(item, states[item] == IN_FLIGHT, "in flight");
    states[item] = failure == Status.TIMED_OUT ? BACKOFF_TIMED_OUT : BACKOFF_FAILED;
    inFlight--;
  }

  /** A retry of an item that was waiting in {@link #backoff}; false when it is decided (do not send). */
  boolean resend(int item) {
    if (outcome != null) {
      return false;
    }
    expect(item, states[item] == BACKOFF_FAILED || states[item] == BACKOFF_TIMED_OUT, "waiting for a retry");
    states[item] = IN_FLIGHT;
    inFlight++;
    return true;
  }

  /**
   * A final outcome for an item in flight: {@link Status#OK}, {@link Status#FAILED}, {@link Status#TIMED_OUT}
   * or {@link Status#LEFT}. Ignored once decided (the item was abandoned). Returns whether it counted.
   */
  boolean complete(int item, Status status) {
    if (outcome != null) {
      return false;
    }
    if (status != Status.OK && !status.isFailure()) {
      throw new IllegalArgumentException("an item completes ok or failed, not " + status);
    }
    expect(item, states[item] == IN_FLIGHT, "in flight");
    states[item] = (byte) status.ordinal();
    counts[status.ordinal()]++;
    order[finished++] = item;
    active--;
    inFlight--;
    decide();
    return true;
  }

  /** The deadline passed: decided now unless it already was. */
  void deadline() {
    if (outcome == null) {
      seal(Outcome.DEADLINE);
    }
  }

  private void decide() {
    int ok = counts[Status.OK.ordinal()];
    int failures = finished - ok;
    Outcome o = switch (mode) {
      case ALL -> failures > 0 ? Outcome.FAILED : ok == total ? Outcome.SATISFIED : null;
      case SETTLED -> finished == total ? Outcome.SATISFIED : null;
      case ANY -> ok >= 1 ? Outcome.SATISFIED : failures == total ? Outcome.FAILED : null;
      case QUORUM -> ok >= quorum ? Outcome.SATISFIED : failures > total - quorum ? Outcome.FAILED : null;
    };
    if (o != null) {
      seal(o);
    }
  }

  private void seal(Outcome o) {
    outcome = o;
    if (finished == total) {
      return;
    }
    for (int i = 0; i < total; i++) {
      Status s = switch (states[i]) {
        case PENDING -> Status.NOT_SENT;
        case IN_FLIGHT -> Status.ABANDONED;
        case BACKOFF_FAILED -> Status.FAILED;
        case BACKOFF_TIMED_OUT -> Status.TIMED_OUT;
        default -> null; // already final
      };
      if (s != null) {
        states[i] = (byte) s.ordinal();
        counts[s.ordinal()]++;
        order[finished++] = i;
      }
    }
    active = 0;
    inFlight = 0;
  }

  private void expect(int item, boolean ok, String state) {
    if (!ok) {
      throw new IllegalStateException("item " + item + " is not " + state + " (state " + states[item] + ")");
    }
  }

  /** Null while running; how it ended once decided. */
  Outcome outcome() {
    return outcome;
  }

  boolean decided() {
    return outcome != null;
  }

  /** The item's status: final once decided; before that null for items not final yet. */
  Status status(int item) {
    byte s = states[item];
    return s >= 0 ? STATUSES[s] : null;
  }

  /** How many items have this final status. */
  int count(Status status) {
    return counts[status.ordinal()];
  }

  int total() {
    return total;
  }

  /** Items sent and not answered yet (not counting those waiting for a retry). */
  int inFlight() {
    return inFlight;
  }

  /** The k-th item to reach a final status (once decided, k in 0..total-1). */
  int completedAt(int k) {
    return order[k];
  }

  int finished() {
    return finished;
  }

  Mode mode() {
    return mode;
  }
}
