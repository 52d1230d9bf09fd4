package io.steward.fanout;

import io.steward.bus.Fields;
import io.vertx.core.json.JsonObject;

import java.util.regex.Pattern;

/**
 * A validated {@code steward.fanout.gather} request: ask {@code steward.node.<id>.<verb>} on every node (or
 * every node running {@code module}) with {@code body}, waiting at most {@code timeoutMs} for each.
 */
record GatherRequest(String verb, String module, Object body, long timeoutMs) {

  private static final Pattern VERB = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");

  static GatherRequest parse(Object body, FanoutConfig config) {
    Fields f = Fields.of(body);
    String verb = f.string("verb", null, 200);
    String module = f.string("module", null, 100);
    Object payload = f.value("body");
    long timeoutMs = f.longValue("timeoutMs", config.defaultTimeoutMs(), 1, config.maxDeadlineMs());
    f.done();
    if (verb == null) {
      throw f.bad("verb", "is required: the per-node verb to ask, e.g. info or health (address steward.node.<id>.<verb>)");
    }
    if (!VERB.matcher(verb).matches()) {
      throw f.bad("verb", "must be dot-separated words of letters, digits, '_' or '-', got '" + verb + "'");
    }
    return new GatherRequest(verb, module, payload == null ? new JsonObject() : payload, timeoutMs);
  }
}
