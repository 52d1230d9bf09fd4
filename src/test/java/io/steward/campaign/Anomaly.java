package io.steward.campaign;

import io.vertx.core.json.JsonObject;

/**
 * One broken promise found in a campaign's history: which checker found it, what broke in one sentence an
 * operator can act on, and the events that show it (copied from the history).
 */
public record Anomaly(String checker, String what, JsonObject evidence) {

  @Override
  public String toString() {
    return checker + ": " + what + " " + evidence.encode();
  }
}
