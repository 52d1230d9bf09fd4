package io.steward.campaign;

import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Map;

/**
 * Node names (as faults name them) for the ids the nodes give themselves (as fires and effects name them), from
 * the {@code node.up} events. A value that is not a known id is taken to be a name already.
 */
final class Nodes {

  private final Map<String, String> nameOfId = new HashMap<>();

  Nodes(History history) {
    for (JsonObject e : history.ofType("node.up")) {
      String id = e.getString("id");
      if (id != null) {
        nameOfId.put(id, e.getString("node"));
      }
    }
  }

  String name(String idOrName) {
    return idOrName == null ? null : nameOfId.getOrDefault(idOrName, idOrName);
  }
}
