package io.steward.schedule;

import io.steward.bus.Fields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a job fires. {@code "cluster-once"} (default): one schedule node per tick, decided by a claim;
 * {@code "every-node"}: each schedule node fires each tick; or a selector {@code {nodes: [name|id…],
 * modules: [module…], every: false}} that narrows the nodes (those named, and running all the modules listed),
 * once per tick among them or, with {@code every: true}, on each of them.
 */
record RunOn(boolean every, List<String> nodes, List<String> modules) {

  static final RunOn CLUSTER_ONCE = new RunOn(false, null, null);
  static final RunOn EVERY_NODE = new RunOn(true, null, null);

  boolean isSelector() {
    return nodes != null || modules != null;
  }

  /** Parses the {@code runOn} field (already known to be present). */
  static RunOn parse(Object value, Fields fields) {
    if (value instanceof String s) {
      return switch (s) {
        case "cluster-once" -> CLUSTER_ONCE;
        case "every-node" -> EVERY_NODE;
        default -> throw fields.bad("runOn", "must be cluster-once, every-node or a selector object "
          + "{nodes, modules, every}, got '" + s + "'");
      };
    }
    if (!(value instanceof JsonObject o)) {
      throw fields.bad("runOn", "must be cluster-once, every-node or a selector object {nodes, modules, every}, got "
        + Fields.typeName(value));
    }
    Fields f = Fields.nested(o, "runOn");
    List<String> nodes = names(f, "nodes");
    List<String> modules = names(f, "modules");
    boolean every = f.bool("every", false);
    f.done();
    if (nodes == null && modules == null) {
      throw fields.bad("runOn", "a selector needs nodes or modules (or use cluster-once / every-node)");
    }
    return new RunOn(every, nodes, modules);
  }

  private static List<String> names(Fields f, String name) {
    JsonArray a = f.array(name);
    if (a == null) {
      return null;
    }
    if (a.isEmpty() || a.size() > 100) {
      throw f.bad(name, "must list 1 to 100 names, got " + a.size());
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      if (!(a.getValue(i) instanceof String s) || s.isBlank()) {
        throw f.bad(name + "[" + i + "]", "must be a non-blank string");
      }
      out.add(s.strip());
    }
    return List.copyOf(out);
  }

  Object toJson() {
    if (!isSelector()) {
      return every ? "every-node" : "cluster-once";
    }
    JsonObject o = new JsonObject();
    if (nodes != null) {
      o.put("nodes", new JsonArray(new ArrayList<>(nodes)));
    }
    if (modules != null) {
      o.put("modules", new JsonArray(new ArrayList<>(modules)));
    }
    return o.put("every", every);
  }

  /** Whether a node (by id and name, running {@code nodeModules}) may fire this job. */
  boolean admits(String nodeId, String nodeName, List<String> nodeModules) {
    if (nodes != null && !nodes.contains(nodeId) && (nodeName == null || !nodes.contains(nodeName))) {
      return false;
    }
    return modules == null || (nodeModules != null && nodeModules.containsAll(modules));
  }
}
