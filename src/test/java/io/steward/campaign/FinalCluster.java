package io.steward.campaign;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every node healthy and in one cluster at the end (README, Reliability: "every node healthy at the end"; after a
 * heal "every node lists" all nodes). Anomalies: fewer or more {@code node.final} events than
 * {@code settings.nodes}; a node not {@code healthy}; a node whose {@code members} are not
 * {@code settings.nodes} many; two nodes that list different members.
 */
final class FinalCluster implements Checker {

  @Override
  public String name() {
    return "final-cluster";
  }

  @Override
  public List<Anomaly> check(History history) {
    Settings settings = Settings.of(history);
    List<JsonObject> finals = history.ofType("node.final");
    List<Anomaly> out = new ArrayList<>();
    if (finals.size() != settings.nodes()) {
      out.add(new Anomaly(name(), finals.size() + " nodes answered at the end, expected " + settings.nodes(),
          new JsonObject().put("finals", new JsonArray(finals))));
    }
    Set<String> first = null;
    JsonObject firstNode = null;
    for (JsonObject n : finals) {
      Set<String> members = new TreeSet<>();
      n.getJsonArray("members", new JsonArray()).forEach(m -> members.add(String.valueOf(m)));
      if (!n.getBoolean("healthy", false)) {
        out.add(new Anomaly(name(), "node " + n.getString("node") + " is not healthy at the end", n));
      }
      if (members.size() != settings.nodes()) {
        out.add(new Anomaly(name(), "node " + n.getString("node") + " lists " + members.size() + " members, expected "
            + settings.nodes(), n));
      }
      if (first == null) {
        first = members;
        firstNode = n;
      } else if (!first.equals(members)) {
        out.add(new Anomaly(name(), "nodes " + firstNode.getString("node") + " and " + n.getString("node")
            + " list different members: not one cluster", new JsonObject().put("a", firstNode).put("b", n)));
      }
    }
    return out;
  }
}
