package io.steward.workflows;

import io.steward.spi.ConfigException;
import io.steward.spi.Setting;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** The {@code workflows} section. */
record WorkflowsConfig(int sweepMs, int finishedTtlMs) {

  static final List<Setting> SETTINGS = List.of(
    Setting.integer("workflows.sweepMs", 1_000, "How often each workflows node re-examines the unfinished workflows whose records it holds (a missed task event, a node that left, a submit refused for now)"),
    Setting.integer("workflows.finishedTtlMs", 86_400_000, "How long a finished workflow's record is kept (GET /workflows/{id}, retry)")
  );

  static WorkflowsConfig from(JsonObject s) {
    WorkflowsConfig c = new WorkflowsConfig(s.getInteger("sweepMs"), s.getInteger("finishedTtlMs"));
    if (c.sweepMs < 50 || c.sweepMs > 600_000) {
      throw new ConfigException("workflows.sweepMs", "must be between 50 and 600000, got " + c.sweepMs);
    }
    if (c.finishedTtlMs < 1_000) {
      throw new ConfigException("workflows.finishedTtlMs", "must be at least 1000, got " + c.finishedTtlMs);
    }
    return c;
  }
}
