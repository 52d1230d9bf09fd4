package io.steward.reliability;

/**
 * The reliability suite's two sizes: the fast subset every build runs, and the soak ({@code -Dsoak=true}) with
 * the full figures of issue 9 (10 000 tasks, 10 000 cache writes, ...).
 */
final class Soak {

  private Soak() {
  }

  static boolean on() {
    return Boolean.parseBoolean(System.getProperty("soak", "false"));
  }

  /** {@code fast} in every build, {@code soak} under the soak flag. */
  static int scale(int fast, int soak) {
    return on() ? soak : fast;
  }

  static String label() {
    return on() ? "soak" : "fast";
  }
}
