package io.steward.store;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

/**
 * Writes the database could not take while this node was leaving the cluster (the database down, and the node's
 * last write-behind flush failing, whether other nodes were stopping too or not): kept in
 * {@code <store.dir>/unstored/} as JSON lines, flushed to disk, and written to the database when a node next
 * starts from that directory — unless the database already holds a newer version of the entry — then into the
 * cluster's maps if they were loaded before (see {@link Store#awaitLoaded}). Without this, a clean stop of the
 * whole cluster during a database outage would lose what was acknowledged since it began.
 */
final class Spill {

  static final String DIR = "unstored";

  private final Path dir;

  Spill(Path storeDir) {
    this.dir = storeDir.toAbsolutePath().normalize().resolve(DIR);
  }

  Path dir() {
    return dir;
  }

  /** Appends rows to a new file and forces it to disk. */
  synchronized Path write(List<Row> rows) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve("unstored-" + System.currentTimeMillis() + "-" + System.nanoTime() + ".jsonl");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
         Writer w = java.nio.channels.Channels.newWriter(ch, StandardCharsets.UTF_8)) {
      for (Row r : rows) {
        w.write(encode(r).encode());
        w.write('\n');
      }
      w.flush();
      ch.force(true);
    }
    return file;
  }

  /** The files waiting, oldest first. */
  List<Path> pending() throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
    }
  }

  /** A row written back to the database at start-up, and the version it replaced there (null: none). */
  record Replayed(Row row, Row previous) {
  }

  /** What {@link #replay} did: rows written, rows skipped (the database held newer versions), and the written ones. */
  record Result(int written, int skipped, List<Replayed> rows) {
  }

  /**
   * Writes every waiting file to the database (oldest first), deleting each once done. A row goes in unless the
   * database holds a newer version of its key, so replaying files kept by several nodes (each kept what it held
   * when the cluster stopped: owners' and backups' copies of the same change) is idempotent and the newest wins.
   */
  Result replay(Database db) throws IOException, SQLException {
    int skipped = 0;
    List<Replayed> written = new ArrayList<>();
    for (Path file : pending()) {
      for (Row r : read(file)) {
        Database.Replay done = db.replay(r);
        if (done.written()) {
          written.add(new Replayed(r, done.previous()));
        } else {
          skipped++;
        }
      }
      Files.delete(file);
    }
    return new Result(written.size(), skipped, written);
  }

  static List<Row> read(Path file) throws IOException {
    List<Row> rows = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      try {
        rows.add(decode(new JsonObject(line)));
      } catch (RuntimeException e) {
        // a line cut short by a crash while writing: the rest of the file is still worth having
      }
    }
    return rows;
  }

  static JsonObject encode(Row r) {
    JsonObject o = new JsonObject().put("map", r.map()).put("key", r.key()).put("updatedAt", r.updatedAt());
    if (r.text() != null) {
      o.put("text", r.text());
    } else if (r.bytes() != null) {
      o.put("bytes", Base64.getEncoder().encodeToString(r.bytes()));
    }
    if (r.expiresAt() != null) {
      o.put("expiresAt", r.expiresAt());
    }
    return o;
  }

  static Row decode(JsonObject o) {
    String b = o.getString("bytes");
    return new Row(o.getString("map"), o.getString("key"), o.getString("text"),
      b == null ? null : Base64.getDecoder().decode(b), o.getLong("expiresAt"), o.getLong("updatedAt"));
  }
}
