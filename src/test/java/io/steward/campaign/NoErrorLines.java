package io.steward.campaign;

import java.util.List;

/**
 * No ERROR line (README, Reliability: "no ERROR line from Steward's loggers"; the issue asks for none at all).
 * Anomaly: every {@code log.error} event. No line is excused, not even the spurious Vert.x ERROR the README lists
 * under Known limitations: a campaign that meets it shows it, so it stays counted.
 */
final class NoErrorLines implements Checker {

  @Override
  public String name() {
    return "no-error-lines";
  }

  @Override
  public List<Anomaly> check(History history) {
    return history.ofType("log.error").stream()
        .map(e -> new Anomaly(name(), "node " + e.getString("node") + " logged an ERROR: " + e.getString("line"), e))
        .toList();
  }
}
