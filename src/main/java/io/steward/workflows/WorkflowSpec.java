package io.steward.workflows;

import io.steward.bus.Door;
import io.steward.bus.Fields;
import io.steward.bus.StewardException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A submitted workflow as asked for: the body of {@code steward.workflows.submit},
 * {@code {name, key?, input?, steps: [{id, address, payload?, dependsOn?, forEach?, quorum?, timeoutMs?, maxRestarts?,
 * withinMs?, supervisor?, priority?}]}}. Parsing checks everything that can be checked before anything runs (pure,
 * no Vert.x): shapes and ranges, duplicate ids, unknown dependencies, cycles (named), the caps, and a {@code forEach}
 * over the input that is not an array. A refusal is a 400 naming the field.
 *
 * <p>Each step runs as one durable {@code bus} task ({@code restart: transient}), or one per item for a
 * {@code forEach} step: a request to {@code address} with {@code payload} (an object) plus {@code input} (the
 * workflow's, when it has one), {@code results} (each dependency's result, by step id) and, for a {@code forEach}
 * step, {@code item} and {@code index}.
 */
record WorkflowSpec(String name, Object input, List<Step> steps, String key) {

  /** The most steps a workflow may have (a 400 beyond). */
  static final int MAX_STEPS = 100;
  /** The most items one {@code forEach} step may fan out over (the step fails beyond, or a 400 for the input). */
  static final int MAX_ITEMS = 1_000;
  static final long MAX_MS = 86_400_000L;
  /** The longest idempotency key (as a task's). */
  static final int MAX_KEY = 200;
  private static final Pattern STEP_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  /**
   * One step. {@code forEach}: {@code input} or {@code input.a.b} (the workflow's input, or a field of it), or
   * {@code results.<step>} / {@code results.<step>.a.b} (a dependency's result, or a field of it); an array.
   * {@code quorum}: how many of its items must succeed (null: all).
   */
  record Step(String id, String address, JsonObject payload, List<String> dependsOn, String forEach, Integer quorum,
              long timeoutMs, int maxRestarts, long withinMs, String supervisor, int priority) {

    JsonObject toJson() {
      JsonObject o = new JsonObject().put("id", id).put("address", address).put("payload", payload)
        .put("dependsOn", new JsonArray(new ArrayList<>(dependsOn))).put("timeoutMs", timeoutMs)
        .put("maxRestarts", maxRestarts).put("withinMs", withinMs).put("supervisor", supervisor);
      if (forEach != null) {
        o.put("forEach", forEach);
      }
      if (quorum != null) {
        o.put("quorum", quorum);
      }
      if (priority != 0) {
        o.put("priority", priority);
      }
      return o;
    }

    static Step fromJson(JsonObject o) {
      List<String> deps = new ArrayList<>();
      o.getJsonArray("dependsOn").forEach(d -> deps.add((String) d));
      return new Step(o.getString("id"), o.getString("address"), o.getJsonObject("payload"), List.copyOf(deps),
        o.getString("forEach"), o.getInteger("quorum"), o.getLong("timeoutMs"), o.getInteger("maxRestarts"),
        o.getLong("withinMs"), o.getString("supervisor"), o.getInteger("priority", 0));
    }
  }

  /**
   * Parses and checks a submit's body; {@code door} (the door the request came through, or null from inside the
   * cluster) must permit every step's address (else 403 naming the step).
   */
  static WorkflowSpec parse(Object body, Door door) {
    Fields f = Fields.of(body);
    String name = f.string("name", null, 200);
    if (name == null) {
      throw f.bad("name", "is required (a name for the workflow, e.g. \"order-123\")");
    }
    String key = f.string("key", null, MAX_KEY);
    Object input = f.value("input");
    JsonArray stepsJson = f.array("steps");
    f.done();
    if (stepsJson == null || stepsJson.isEmpty()) {
      throw f.bad("steps", "is required: a workflow needs at least one step ({id, address, dependsOn?, …})");
    }
    if (stepsJson.size() > MAX_STEPS) {
      throw f.bad("steps", "has " + stepsJson.size() + " steps; a workflow may have at most " + MAX_STEPS);
    }
    List<Step> steps = new ArrayList<>();
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < stepsJson.size(); i++) {
      String at = "steps[" + i + "]";
      if (!(stepsJson.getValue(i) instanceof JsonObject o)) {
        throw StewardException.badRequest(at, "must be a step object {id, address, …}, got "
          + Fields.typeName(stepsJson.getValue(i)));
      }
      Step step = step(o, at);
      Integer earlier = index.putIfAbsent(step.id(), i);
      if (earlier != null) {
        throw StewardException.badRequest(at + ".id", "duplicate step id '" + step.id() + "' (also steps[" + earlier
          + "]); step ids must be unique");
      }
      if (door != null) {
        door.check(at + ".address", step.address());
      }
      steps.add(step);
    }
    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      for (String d : s.dependsOn()) {
        if (!index.containsKey(d)) {
          throw StewardException.badRequest("steps[" + i + "].dependsOn", "unknown step '" + d + "' (step '" + s.id()
            + "' depends on it; known: " + String.join(", ", index.keySet().stream().sorted().toList()) + ")");
        }
        if (d.equals(s.id())) {
          throw StewardException.badRequest("steps[" + i + "].dependsOn", "cycle: " + s.id() + " -> " + s.id()
            + " (a step cannot depend on itself)");
        }
      }
      if (s.forEach() != null && s.forEach().startsWith("results.")) {
        String from = s.forEach().substring("results.".length()).split("\\.", -1)[0];
        if (!s.dependsOn().contains(from)) {
          throw StewardException.badRequest("steps[" + i + "].forEach", "'" + s.forEach() + "' reads the result of '"
            + from + "', which is not in its dependsOn");
        }
      }
      if (s.forEach() != null && s.forEach().startsWith("input")) {
        Object items = select(input, s.forEach().substring("input".length()));
        if (!(items instanceof JsonArray a)) {
          throw StewardException.badRequest("steps[" + i + "].forEach", "'" + s.forEach() + "' must be an array in "
            + "the input, got " + Fields.typeName(items));
        }
        checkItems(a.size(), s, "steps[" + i + "]");
      }
    }
    List<String> cycle = cycle(steps);
    if (cycle != null) {
      throw StewardException.badRequest("steps", "cycle: " + String.join(" -> ", cycle)
        + " (dependsOn must form a graph without cycles)");
    }
    return new WorkflowSpec(name, input, List.copyOf(steps), key);
  }

  /** A 400 when a forEach over the input has more items than allowed, or fewer than its quorum. */
  static void checkItems(int items, Step s, String at) {
    if (items > MAX_ITEMS) {
      throw StewardException.badRequest(at + ".forEach", "has " + items + " items; a step may fan out over at most "
        + MAX_ITEMS);
    }
    if (s.quorum() != null && s.quorum() > items) {
      throw StewardException.badRequest(at + ".quorum", "is " + s.quorum() + " but forEach has only " + items + " items");
    }
  }

  private static Step step(JsonObject o, String at) {
    Fields f = Fields.nested(o, at);
    String id = f.string("id", null, 64);
    if (id == null) {
      throw f.bad("id", "is required (letters, digits, _ and -, at most 64)");
    }
    if (!STEP_ID.matcher(id).matches()) {
      throw f.bad("id", "must be letters, digits, _ and - (at most 64), got '" + id + "'");
    }
    String address = f.string("address", null, 1_000);
    if (address == null) {
      throw f.bad("address", "is required (the event-bus address the step's task sends its request to)");
    }
    JsonObject payload = f.object("payload");
    JsonArray deps = f.array("dependsOn");
    List<String> dependsOn = new ArrayList<>();
    if (deps != null) {
      Set<String> seen = new HashSet<>();
      for (Object d : deps) {
        if (!(d instanceof String s) || s.isBlank()) {
          throw f.bad("dependsOn", "must be an array of step ids, got an element that is " + Fields.typeName(d));
        }
        if (!seen.add(s)) {
          throw f.bad("dependsOn", "names '" + s + "' twice");
        }
        dependsOn.add(s);
      }
    }
    String forEach = f.string("forEach", null, 500);
    if (forEach != null && !forEach.equals("input") && !forEach.startsWith("input.")
      && !forEach.matches("results\\.[A-Za-z0-9_-]{1,64}(\\..+)?")) {
      throw f.bad("forEach", "must be 'input', 'input.<field>…', 'results.<step>' or 'results.<step>.<field>…', got '"
        + forEach + "'");
    }
    Long quorum = f.optionalLong("quorum", 1, MAX_ITEMS);
    if (quorum != null && forEach == null) {
      throw f.bad("quorum", "needs forEach (it is how many of the step's items must succeed)");
    }
    long timeoutMs = f.longValue("timeoutMs", 30_000, 1, MAX_MS);
    int maxRestarts = f.integer("maxRestarts", 3, 0, 1_000);
    long withinMs = f.longValue("withinMs", 5_000, 1, MAX_MS);
    String supervisor = f.string("supervisor", "default", 64);
    int priority = f.integer("priority", 0, -10, 10);
    Object restart = f.value("restart");
    if (restart != null && !"transient".equals(restart)) {
      throw f.bad("restart", "must be transient (a step is a durable task, restarted after an abnormal end up to "
        + "maxRestarts), got " + (restart instanceof String s ? "'" + s + "'" : Fields.typeName(restart)));
    }
    f.done();
    return new Step(id, address, payload == null ? new JsonObject() : payload, List.copyOf(dependsOn), forEach,
      quorum == null ? null : quorum.intValue(), timeoutMs, maxRestarts, withinMs, supervisor, priority);
  }

  /** The value at a dotted path ({@code ""} or {@code ".a.b"}) in {@code root}, or null when it is not there. */
  static Object select(Object root, String path) {
    Object v = root;
    if (path.isEmpty()) {
      return v;
    }
    for (String field : path.substring(1).split("\\.", -1)) {
      if (!(v instanceof JsonObject o)) {
        return null;
      }
      v = o.getValue(field);
    }
    return v;
  }

  /** A cycle in the steps' dependencies, as the ids along it with the first repeated at the end, or null. */
  static List<String> cycle(List<Step> steps) {
    Map<String, Step> byId = new LinkedHashMap<>();
    steps.forEach(s -> byId.put(s.id(), s));
    Map<String, Integer> color = new HashMap<>(); // absent: unvisited, 1: on the path, 2: done
    for (String start : byId.keySet()) {
      if (color.containsKey(start)) {
        continue;
      }
      // Iterative depth-first search (100 steps at most, but no recursion anyway).
      List<String> path = new ArrayList<>();
      List<Integer> next = new ArrayList<>();
      path.add(start);
      next.add(0);
      color.put(start, 1);
      while (!path.isEmpty()) {
        int top = path.size() - 1;
        Step s = byId.get(path.get(top));
        int i = next.get(top);
        if (i >= s.dependsOn().size()) {
          color.put(s.id(), 2);
          path.remove(top);
          next.remove(top);
          continue;
        }
        next.set(top, i + 1);
        String d = s.dependsOn().get(i);
        Integer c = color.get(d);
        if (c == null) {
          color.put(d, 1);
          path.add(d);
          next.add(0);
        } else if (c == 1) {
          List<String> cycle = new ArrayList<>(path.subList(path.indexOf(d), path.size()));
          cycle.add(d);
          // dependsOn points backwards (B depends on A): name it in the order the steps would run.
          java.util.Collections.reverse(cycle);
          return cycle;
        }
      }
    }
    return null;
  }

  JsonObject toJson() {
    JsonArray s = new JsonArray();
    steps.forEach(st -> s.add(st.toJson()));
    JsonObject o = new JsonObject().put("name", name).put("steps", s);
    if (input != null) {
      o.put("input", input);
    }
    return o;
  }
}
