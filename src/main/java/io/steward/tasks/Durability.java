package io.steward.tasks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.steward.spi.PersistentMap;

import java.io.IOException;
import java.util.List;

/**
 * What of the tasks module survives a full-cluster restart (docs/durability.md): the records of durable tasks
 * ({@code transient}, {@code permanent}: live ones, so they run again, and final ones, so {@code get} still
 * finds them), the dead letters, and which supervisors are paused ({@link Pauses#MAP}: an operator paused one on
 * purpose, so a restarted cluster must not start what it holds). Temporary tasks stay in memory, as their contract says: their records (the
 * final records of lost temporary tasks, in the same map) are not written, nor the per-node record of
 * temporary tasks ({@code steward.tasks.live}) or the idempotency keys, which a task taken over after a restart
 * binds again.
 */
final class Durability {

  private static final JsonFactory JSON = new JsonFactory();

  private Durability() {
  }

  static List<PersistentMap> maps() {
    return List.of(
      PersistentMap.filtered(TaskStore.RECORDS, Durability::persisted),
      PersistentMap.filtered(TaskStore.DEAD_LETTERS, Durability::persisted),
      PersistentMap.all(Pauses.MAP));
  }

  /**
   * Whether a record is written to the store: all but those of temporary tasks. Reads the top-level fields up to
   * {@code restart} (the fourth) with a streaming parser, skipping nested values, so a payload that happens to
   * hold a {@code restart} field is never mistaken for the task's. Runs on the write-behind thread.
   */
  static boolean persisted(Object value) {
    if (!(value instanceof String json)) {
      return true;
    }
    try (JsonParser p = JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return true;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        if ("restart".equals(field)) {
          return !Restart.TEMPORARY.wire().equals(p.getText());
        }
        p.skipChildren();
      }
    } catch (IOException e) {
      return true; // not ours to judge: keep it
    }
    return true;
  }
}
