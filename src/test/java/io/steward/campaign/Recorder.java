package io.steward.campaign;

import io.vertx.core.json.JsonObject;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The observer's history (docs/campaign.md, "History format"): every event stamped with {@code t} (ms since the
 * campaign started, monotonic) and {@code wall}, appended in the order recorded to {@code history.jsonl} and kept in
 * memory for the checkers. Thread-safe: the workload, the nemesis and the bridge readers all record.
 */
final class Recorder implements AutoCloseable {

  private final long startNanos = System.nanoTime();
  private final AtomicLong ops = new AtomicLong();
  private final List<JsonObject> events = new ArrayList<>();
  private final BufferedWriter out;

  Recorder(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    out = Files.newBufferedWriter(file);
  }

  /** Records one event of {@code type} with {@code fields} (copied); returns the event as recorded. */
  synchronized JsonObject record(String type, JsonObject fields) {
    JsonObject e = new JsonObject().put("type", type).put("t", (System.nanoTime() - startNanos) / 1_000_000)
      .put("wall", System.currentTimeMillis());
    e.mergeIn(fields.copy());
    events.add(e);
    try {
      out.write(e.encode());
      out.write('\n');
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
    return e;
  }

  /** A new operation id, unique in the history. */
  long nextOp() {
    return ops.incrementAndGet();
  }

  /** Operations invoked so far. */
  long operations() {
    return ops.get();
  }

  synchronized History history() {
    return new History(events);
  }

  synchronized List<JsonObject> ofType(String type) {
    return events.stream().filter(e -> type.equals(e.getString("type"))).toList();
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }
}
