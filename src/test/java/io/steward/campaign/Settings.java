package io.steward.campaign;

import io.vertx.core.json.JsonObject;

/**
 * The {@code settings} event (the first of every history), with the defaults of docs/campaign.md;
 * {@code failureDetectionMs} is 0 when the history does not record it.
 */
record Settings(Integer minimumSize, int nodes, long missedBoundMs, long mergeWindowMs, int historySize,
                long failureDetectionMs) {

  static final long DEFAULT_MERGE_WINDOW_MS = 30_000;
  /** {@code schedule.historySize}'s default: the runs each job's history keeps. */
  static final int DEFAULT_HISTORY_SIZE = 20;

  static Settings of(History history) {
    JsonObject s = history.ofType("settings").stream().findFirst().orElse(new JsonObject());
    Integer min = s.getInteger("minimumSize");
    return new Settings(min != null && min > 0 ? min : null, s.getInteger("nodes", 0),
        s.getLong("missedBoundMs", 0L), s.getLong("mergeWindowMs", DEFAULT_MERGE_WINDOW_MS),
        s.getInteger("historySize", DEFAULT_HISTORY_SIZE), s.getLong("failureDetectionMs", 0L));
  }
}
