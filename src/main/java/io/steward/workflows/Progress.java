package io.steward.workflows;

import io.steward.bus.StewardException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A workflow's life as pure functions of its record (a JSON object, as kept in {@code steward.workflows.runs}) and
 * what the tasks module says about its step tasks: no Vert.x, no Hazelcast, no clock (the caller passes {@code now}).
 * Every function returns a new record; the engine writes it with a compare-and-set and only then acts (submits,
 * cancels, events), so two nodes that advance the same workflow at once cannot both act on one change.
 *
 * <p>A workflow is {@code running}, then {@code succeeded}, {@code failed} or {@code cancelled}. A step is
 * {@code waiting} (for its dependencies), {@code running} (its tasks submitted or about to be), then
 * {@code succeeded}, {@code failed}, {@code cancelled} or {@code skipped} (never started: the workflow ended first).
 * A step's task is identified by its key, {@code wf/<workflow>/<step>/<generation>/<index>}: submitted with that key,
 * a second submit (another node advancing the same workflow, a survivor after a takeover) answers the same task.
 */
final class Progress {

  static final Set<String> FINAL_TASK = Set.of("succeeded", "failed", "timed-out", "cancelled", "lost");
  static final Set<String> FINAL = Set.of("succeeded", "failed", "cancelled");

  private Progress() {
  }

  /** A task to submit: its step, its key, and the body of the request its {@code bus} task sends. */
  record Submit(String step, int index, String key, JsonObject body) {
  }

  /** The new record, what to do once it is written, and the events it makes. */
  record Result(JsonObject record, List<Submit> submits, List<String> cancels, List<JsonObject> events) {
    boolean changed(JsonObject before) {
      return !record.equals(before);
    }
  }

  /** The record of a workflow just accepted (nothing started yet: {@link #advance} starts its first steps). */
  static JsonObject start(String id, WorkflowSpec spec, JsonObject door, String node, long now) {
    JsonObject steps = new JsonObject();
    for (WorkflowSpec.Step s : spec.steps()) {
      steps.put(s.id(), new JsonObject().put("state", "waiting").put("generation", 0));
    }
    JsonObject r = new JsonObject().put("id", id).put("name", spec.name()).put("state", "running")
      .put("version", 0).put("submittedAt", now).put("node", node).put("spec", spec.toJson()).put("steps", steps);
    if (door != null) {
      r.put("door", door);
    }
    if (spec.key() != null) {
      r.put("key", spec.key());
    }
    return r;
  }

  static String key(String workflow, String step, int generation, int index) {
    return "wf/" + workflow + "/" + step + "/" + generation + "/" + index;
  }

  static boolean isFinal(JsonObject record) {
    return FINAL.contains(record.getString("state"));
  }

  static List<WorkflowSpec.Step> steps(JsonObject record) {
    List<WorkflowSpec.Step> steps = new ArrayList<>();
    record.getJsonObject("spec").getJsonArray("steps").forEach(o -> steps.add(WorkflowSpec.Step.fromJson((JsonObject) o)));
    return steps;
  }

  /** The ids of the step tasks whose end the record does not know yet (to ask the tasks module about). */
  static List<String> liveTaskIds(JsonObject record) {
    List<String> ids = new ArrayList<>();
    JsonObject steps = record.getJsonObject("steps");
    for (String s : steps.fieldNames()) {
      for (Object t : steps.getJsonObject(s).getJsonArray("tasks", new JsonArray())) {
        JsonObject task = (JsonObject) t;
        if (task.getString("id") != null && !FINAL_TASK.contains(task.getString("state", ""))) {
          ids.add(task.getString("id"));
        }
      }
    }
    return ids;
  }

  /**
   * Takes in what the tasks module says about the step tasks ({@code tasks}: id to the task's record, final or
   * not), ends the steps that can end, ends the workflow when a step failed or every step succeeded, and starts the
   * steps whose dependencies all succeeded. Lists the tasks to submit (every task of a running step that has no id
   * yet: a submit whose answer a previous coordinator did not record is made again, and answers the same task) and
   * to cancel.
   */
  static Result advance(JsonObject before, Map<String, JsonObject> tasks, long now) {
    JsonObject r = before.copy();
    List<Submit> submits = new ArrayList<>();
    List<String> cancels = new ArrayList<>();
    List<JsonObject> events = new ArrayList<>();
    if (isFinal(r)) {
      return new Result(r, submits, cancels, events);
    }
    List<WorkflowSpec.Step> specs = steps(r);
    JsonObject steps = r.getJsonObject("steps");
    // 1. What the tasks module says.
    for (WorkflowSpec.Step spec : specs) {
      JsonObject st = steps.getJsonObject(spec.id());
      for (Object t : st.getJsonArray("tasks", new JsonArray())) {
        JsonObject task = (JsonObject) t;
        JsonObject rec = task.getString("id") == null ? null : tasks.get(task.getString("id"));
        if (rec != null && !FINAL_TASK.contains(task.getString("state", ""))) {
          take(task, rec);
        }
      }
    }
    boolean moved = true;
    while (moved) {
      moved = false;
      // 2. End the running steps that can end.
      for (WorkflowSpec.Step spec : specs) {
        JsonObject st = steps.getJsonObject(spec.id());
        if ("running".equals(st.getString("state")) && endStep(r, spec, st, now, cancels, events)) {
          moved = true;
        }
      }
      // 3. A failed step ends the workflow.
      String failed = specs.stream().map(WorkflowSpec.Step::id)
        .filter(id -> "failed".equals(steps.getJsonObject(id).getString("state"))).findFirst().orElse(null);
      if (failed != null) {
        end(r, "failed", "step " + failed + " failed: " + steps.getJsonObject(failed).getString("error", ""), now,
          cancels, events);
        return new Result(r, submits, cancels, events);
      }
      // 4. Start what is ready.
      for (WorkflowSpec.Step spec : specs) {
        JsonObject st = steps.getJsonObject(spec.id());
        if ("waiting".equals(st.getString("state"))
          && spec.dependsOn().stream().allMatch(d -> "succeeded".equals(steps.getJsonObject(d).getString("state")))) {
          startStep(r, spec, st, now, events);
          moved = true;
        }
      }
    }
    if (specs.stream().allMatch(s -> "succeeded".equals(steps.getJsonObject(s.id()).getString("state")))) {
      r.put("state", "succeeded").put("endedAt", now);
      events.add(event("succeeded", null));
      return new Result(r, submits, cancels, events);
    }
    // 5. Every task of a running step without an id is (still) to submit.
    for (WorkflowSpec.Step spec : specs) {
      JsonObject st = steps.getJsonObject(spec.id());
      if (!"running".equals(st.getString("state"))) {
        continue;
      }
      for (Object t : st.getJsonArray("tasks")) {
        JsonObject task = (JsonObject) t;
        if (task.getString("id") == null && task.getString("state") == null) {
          submits.add(new Submit(spec.id(), task.getInteger("index"), task.getString("key"), body(r, spec, task)));
        }
      }
    }
    return new Result(r, submits, cancels, events);
  }

  private static void take(JsonObject task, JsonObject rec) {
    String state = rec.getString("state");
    if (state == null) {
      return;
    }
    task.put("state", state);
    if (rec.getInteger("attempts") != null) {
      task.put("attempts", rec.getInteger("attempts"));
    }
    if (rec.getBoolean("possibleDuplicate", false)) {
      task.put("possibleDuplicate", true);
    }
    if ("succeeded".equals(state)) {
      task.put("result", rec.getValue("result"));
    } else if (FINAL_TASK.contains(state)) {
      task.put("error", rec.getString("error", state));
    }
  }

  /** Ends a running step once its quorum succeeded, or once too many failed to reach it; true if it ended. */
  private static boolean endStep(JsonObject r, WorkflowSpec.Step spec, JsonObject st, long now, List<String> cancels,
                                 List<JsonObject> events) {
    JsonArray tasks = st.getJsonArray("tasks");
    int n = tasks.size();
    int quorum = spec.quorum() == null ? n : spec.quorum();
    int ok = 0;
    int bad = 0;
    JsonObject firstBad = null;
    for (Object t : tasks) {
      JsonObject task = (JsonObject) t;
      String state = task.getString("state");
      if ("succeeded".equals(state)) {
        ok++;
      } else if (state != null && FINAL_TASK.contains(state)) {
        bad++;
        if (firstBad == null) {
          firstBad = task;
        }
      }
    }
    if (ok >= quorum) {
      if (spec.forEach() == null) {
        st.put("result", tasks.getJsonObject(0).getValue("result"));
      } else {
        JsonArray results = new JsonArray();
        tasks.forEach(t -> results.add(((JsonObject) t).getValue("result")));
        st.put("result", results);
      }
      st.put("state", "succeeded").put("endedAt", now);
      cancelLive(st, cancels);
      events.add(event("step-succeeded", spec.id()));
      return true;
    }
    if (n - bad < quorum) {
      String error = firstBad.getString("state") + ": " + firstBad.getString("error", "");
      st.put("state", "failed").put("endedAt", now).put("error", spec.forEach() == null ? error
        : "item " + firstBad.getInteger("index") + " " + error + " (" + bad + " of " + n + " items did not succeed, "
        + "quorum " + quorum + ")");
      cancelLive(st, cancels);
      events.add(event("step-failed", spec.id()).put("error", st.getString("error")));
      return true;
    }
    return false;
  }

  /** Marks a step running with its tasks (one, or one per item), or failed when its items cannot be read. */
  private static void startStep(JsonObject r, WorkflowSpec.Step spec, JsonObject st, long now, List<JsonObject> events) {
    String id = r.getString("id");
    int gen = st.getInteger("generation", 0);
    JsonArray tasks = new JsonArray();
    st.put("startedAt", now).remove("endedAt");
    st.remove("result");
    st.remove("error");
    if (spec.forEach() == null) {
      tasks.add(new JsonObject().put("index", 0).put("key", key(id, spec.id(), gen, 0)));
    } else {
      Object items = items(r, spec);
      String problem = null;
      if (!(items instanceof JsonArray a)) {
        problem = "forEach '" + spec.forEach() + "' is not an array (got " + io.steward.bus.Fields.typeName(items) + ")";
      } else if (a.size() > WorkflowSpec.MAX_ITEMS) {
        problem = "forEach '" + spec.forEach() + "' has " + a.size() + " items; a step may fan out over at most "
          + WorkflowSpec.MAX_ITEMS;
      } else if (spec.quorum() != null && spec.quorum() > a.size()) {
        problem = "quorum " + spec.quorum() + " but forEach '" + spec.forEach() + "' has only " + a.size() + " items";
      } else {
        for (int i = 0; i < a.size(); i++) {
          tasks.add(new JsonObject().put("index", i).put("key", key(id, spec.id(), gen, i)).put("item", a.getValue(i)));
        }
      }
      if (problem != null) {
        st.put("state", "failed").put("endedAt", now).put("error", problem).put("tasks", tasks);
        events.add(event("step-failed", spec.id()).put("error", problem));
        return;
      }
    }
    st.put("state", "running").put("tasks", tasks);
    events.add(event("step-started", spec.id()).put("tasks", tasks.size()));
  }

  private static Object items(JsonObject r, WorkflowSpec.Step spec) {
    String path = spec.forEach();
    if (path.startsWith("input")) {
      return WorkflowSpec.select(r.getJsonObject("spec").getValue("input"), path.substring("input".length()));
    }
    String rest = path.substring("results.".length());
    int dot = rest.indexOf('.');
    String step = dot < 0 ? rest : rest.substring(0, dot);
    Object result = r.getJsonObject("steps").getJsonObject(step).getValue("result");
    return WorkflowSpec.select(result, dot < 0 ? "" : rest.substring(dot));
  }

  /** The request body a step's task sends: its payload, plus input, results, item and index. */
  static JsonObject body(JsonObject r, WorkflowSpec.Step spec, JsonObject task) {
    JsonObject body = spec.payload().copy();
    Object input = r.getJsonObject("spec").getValue("input");
    if (input != null) {
      body.put("input", input);
    }
    if (!spec.dependsOn().isEmpty()) {
      JsonObject results = new JsonObject();
      spec.dependsOn().forEach(d -> results.put(d, r.getJsonObject("steps").getJsonObject(d).getValue("result")));
      body.put("results", results);
    }
    if (spec.forEach() != null) {
      body.put("item", task.getValue("item")).put("index", task.getInteger("index"));
    }
    return body;
  }

  private static void cancelLive(JsonObject st, List<String> cancels) {
    for (Object t : st.getJsonArray("tasks", new JsonArray())) {
      JsonObject task = (JsonObject) t;
      if (!FINAL_TASK.contains(task.getString("state", ""))) {
        if (task.getString("id") != null) {
          cancels.add(task.getString("id"));
        }
        task.put("state", "cancelled").put("error", "the step ended first");
      }
    }
  }

  /** Ends a workflow: running steps cancelled (their tasks too), waiting ones skipped. */
  private static void end(JsonObject r, String state, String error, long now, List<String> cancels,
                          List<JsonObject> events) {
    JsonObject steps = r.getJsonObject("steps");
    for (String s : steps.fieldNames()) {
      JsonObject st = steps.getJsonObject(s);
      switch (st.getString("state")) {
        case "running" -> {
          cancelLive(st, cancels);
          st.put("state", "cancelled").put("endedAt", now);
        }
        case "waiting" -> st.put("state", "skipped");
        default -> {
        }
      }
    }
    r.put("state", state).put("endedAt", now);
    if (error != null) {
      r.put("error", error);
    }
    events.add(error == null ? event(state, null) : event(state, null).put("error", error));
  }

  /** Cancels a running workflow (409 when it has ended). */
  static Result cancel(JsonObject before, long now) {
    if (isFinal(before)) {
      throw StewardException.conflict("workflow " + before.getString("id") + " has already ended ("
        + before.getString("state") + "); nothing to cancel");
    }
    JsonObject r = before.copy();
    List<String> cancels = new ArrayList<>();
    List<JsonObject> events = new ArrayList<>();
    end(r, "cancelled", null, now, cancels, events);
    return new Result(r, List.of(), cancels, events);
  }

  /**
   * Runs a failed or cancelled workflow again: its failed, cancelled and skipped steps start over (a new
   * generation: new task keys), its succeeded steps keep their results. 409 while it runs, or once it succeeded.
   */
  static Result retry(JsonObject before, long now) {
    String state = before.getString("state");
    if (!"failed".equals(state) && !"cancelled".equals(state)) {
      throw StewardException.conflict("workflow " + before.getString("id") + " is " + state
        + "; only a failed or cancelled workflow can be retried");
    }
    JsonObject r = before.copy();
    JsonObject steps = r.getJsonObject("steps");
    for (String s : steps.fieldNames()) {
      JsonObject st = steps.getJsonObject(s);
      if (!"succeeded".equals(st.getString("state"))) {
        JsonObject fresh = new JsonObject().put("state", "waiting").put("generation", st.getInteger("generation", 0) + 1);
        steps.put(s, fresh);
      }
    }
    r.put("state", "running").put("retries", r.getInteger("retries", 0) + 1);
    r.remove("endedAt");
    r.remove("error");
    return new Result(r, List.of(), List.of(), List.of(event("retried", null)));
  }

  /**
   * Records the answers to submits: {@code ids} (key to task id) and {@code refused} (key to the error of a submit
   * the tasks module refused for good: 400, 403, 404). Returns the ids of tasks to cancel because their step or
   * workflow ended meanwhile (in {@code cancels}).
   */
  static JsonObject submitted(JsonObject before, Map<String, String> ids, Map<String, String> refused,
                              List<String> cancels) {
    JsonObject r = before.copy();
    JsonObject steps = r.getJsonObject("steps");
    for (String s : steps.fieldNames()) {
      JsonObject st = steps.getJsonObject(s);
      for (Object t : st.getJsonArray("tasks", new JsonArray())) {
        JsonObject task = (JsonObject) t;
        String key = task.getString("key");
        String id = ids.get(key);
        if (id != null && task.getString("id") == null) {
          task.put("id", id);
          if (task.getString("state") != null) { // cancelled before its id was known
            cancels.add(id);
          }
        } else if (refused.containsKey(key) && task.getString("id") == null && task.getString("state") == null) {
          task.put("state", "failed").put("error", refused.get(key));
        }
      }
    }
    return r;
  }

  static JsonObject event(String event, String step) {
    JsonObject e = new JsonObject().put("event", event);
    if (step != null) {
      e.put("step", step);
    }
    return e;
  }
}
