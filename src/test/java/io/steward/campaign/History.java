package io.steward.campaign;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;

/**
 * A campaign's recorded history: one JSON object per line, in the order the observer recorded them. The event
 * types and fields are described in docs/campaign.md. Immutable once built.
 */
public final class History {

  private final List<JsonObject> events;

  public History(List<JsonObject> events) {
    this.events = Collections.unmodifiableList(new ArrayList<>(events));
  }

  public static History read(Path file) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      if (!line.isBlank()) {
        out.add(new JsonObject(line));
      }
    }
    return new History(out);
  }

  public List<JsonObject> events() {
    return events;
  }

  /** The events of one type, in order. */
  public List<JsonObject> ofType(String type) {
    return select(e -> type.equals(e.getString("type")));
  }

  public List<JsonObject> select(Predicate<JsonObject> which) {
    List<JsonObject> out = new ArrayList<>();
    for (JsonObject e : events) {
      if (which.test(e)) {
        out.add(e);
      }
    }
    return out;
  }
}
