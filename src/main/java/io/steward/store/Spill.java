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
 * Writes the database could not take while the last node of the cluster was stopping (the database down): kept
 * in {@code <store.dir>/unstored/} as JSON lines, flushed to disk, and written to the database when a node next
 * starts from that directory — unless the database already holds a newer version of the entry. Without this,
 * a clean stop of the whole cluster during a database outage would lose what was acknowledged since it began.
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

  /** Writes every waiting file to the database (oldest first), deleting each once done; returns rows written and skipped. */
  int[] replay(Database db) throws IOException, SQLException {
    int written = 0;
    int skipped = 0;
    for (Path file : pending()) {
      for (Row r : read(file)) {
        if (db.writeIfNotNewer(r)) {
          written++;
        } else {
          skipped++;
        }
      }
      Files.delete(file);
    }
    return new int[] {written, skipped};
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
