package io.steward.tasks;

/**
 * The supervision decision after an attempt ends, as a pure function: finish, restart after a delay, or give
 * up (the task ends {@code failed} and goes to the dead letters). OTP semantics per strategy, plus what OTP
 * does not have: a restart limit per task ({@code maxRestarts} within {@code withinMs}) and backoff.
 */
final class RestartPolicy {

  private RestartPolicy() {
  }

  /** What to do next. */
  public record Decision(Kind kind, long delayMs, int restartsInWindow) {
    public enum Kind {
      /** The task ends with the attempt's outcome. */
      FINISH,
      /** Another attempt after {@code delayMs}. */
      RESTART,
      /** It should restart but has reached its limit: it ends failed, in the dead letters. */
      GIVE_UP
    }

    static Decision finish() {
      return new Decision(Kind.FINISH, 0, 0);
    }
  }

  /**
   * @param history restarts so far; those older than {@code withinMs} do not count
   * @param random  in [0, 1), for the jitter
   */
  public static Decision decide(Restart restart, Outcome outcome, RestartHistory history, int maxRestarts,
                                long withinMs, long now, Backoff backoff, double random) {
    boolean wantsRestart = switch (restart) {
      case TEMPORARY -> false;
      case TRANSIENT -> !outcome.normal();
      case PERMANENT -> true;
    };
    if (!wantsRestart) {
      return Decision.finish();
    }
    int recent = history.countSince(now - withinMs);
    if (recent >= maxRestarts) {
      return new Decision(Decision.Kind.GIVE_UP, 0, recent);
    }
    // A lost node is not the task's fault: its survivor runs it again at once.
    long delay = outcome == Outcome.NODE_LOST ? 0 : backoff.delayMs(recent, random);
    return new Decision(Decision.Kind.RESTART, delay, recent);
  }
}
