package io.steward.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A class-data-sharing archive of the fat jar (JDK 13+ dynamic CDS) for the node JVMs the tests start: the classes a
 * node loads at start-up (Vert.x, Hazelcast, Netty, Steward) are mapped from the archive instead of being read from
 * the jar, parsed and verified again in every JVM, which is most of a node's start-up on two cores and the bulk of
 * the multi-process tests' time. Made once per jar by one node started with {@code -XX:ArchiveClassesAtExit} and
 * stopped with SIGTERM, next to the jar ({@code target/steward-classes.jsa}); a JVM that cannot use it
 * ({@code -Xshare:auto}) starts as before. The nodes run the same code either way: only how classes get into memory
 * changes. {@code -Dtest.classArchive=false} turns it off.
 */
final class ClassArchive {

  private static List<String> options;

  private ClassArchive() {
  }

  /** The JVM options that use the archive (made first if missing or older than the jar), or none. */
  static synchronized List<String> options() {
    if (options != null) {
      return options;
    }
    options = List.of();
    if (!Boolean.parseBoolean(System.getProperty("test.classArchive", "true"))) {
      return options;
    }
    Path jar = NodeProcess.jar().toAbsolutePath();
    Path archive = jar.resolveSibling("steward-classes.jsa");
    try {
      if (!Files.isRegularFile(archive)
          || Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(jar)) < 0) {
        dump(jar, archive);
      }
      if (Files.isRegularFile(archive)) {
        options = List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:auto");
      }
    } catch (Exception e) {
      System.err.println("No class-data-sharing archive for the test nodes (they start without it, a few seconds "
          + "slower each): " + e);
    }
    return options;
  }

  private static void dump(Path jar, Path archive) throws Exception {
    Path partial = archive.resolveSibling(archive.getFileName() + ".part");
    Files.deleteIfExists(partial);
    Path log = archive.resolveSibling("steward-classes.log");
    int http = FreePorts.one();
    int port = FreePorts.block(1);
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:ArchiveClassesAtExit=" + partial,
        "-Dhazelcast.phone.home.enabled=false", "-jar", jar.toString())
        .directory(Files.createTempDirectory("steward-classes").toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("STEWARD_"));
    pb.environment().put("STEWARD_STORE_KIND", "none");
    pb.environment().put("STEWARD_CLUSTER_NAME", "class-archive-" + UUID.randomUUID());
    pb.environment().put("STEWARD_CLUSTER_PORT", Integer.toString(port));
    pb.environment().put("STEWARD_CLUSTER_MEMBERS", "127.0.0.1:" + port);
    pb.environment().put("STEWARD_HTTP_PORT", Integer.toString(http));
    Process p = pb.start();
    io.vertx.core.Vertx poller = io.vertx.core.Vertx.vertx();
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      // Health, then the routes a test reads first: their classes go into the archive too.
      Poll.until(poller, "the archiving node healthy (log: " + log + ")", 90_000, () -> poller.executeBlocking(() -> {
        if (!p.isAlive()) {
          throw new IOException("the archiving node exited (log: " + log + ")");
        }
        return get(client, http, "/health") == 200 && get(client, http, "/nodes") == 200
          && get(client, http, "/metrics") == 200;
      }, false)).await(100, TimeUnit.SECONDS);
      p.destroy(); // SIGTERM: the archive is written as the JVM exits
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        throw new IOException("the archiving node did not exit within 60 s of SIGTERM (log: " + log + ")");
      }
      if (!Files.isRegularFile(partial)) {
        throw new IOException("the archiving node wrote no archive (log: " + log + ")");
      }
      Files.move(partial, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      p.destroyForcibly();
      poller.close();
    }
  }

  private static int get(HttpClient client, int port, String path) {
    try {
      return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }
}
