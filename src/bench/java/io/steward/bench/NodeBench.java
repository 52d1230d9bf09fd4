package io.steward.bench;

import io.steward.testing.FreePorts;
import io.steward.testing.NodeProcess;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Time from {@code java -jar target/steward.jar} to a 200 from /health, and the resident memory of the idle
 * node 5 s later, over several runs (default modules, default JVM flags, one-node cluster).
 */
final class NodeBench {

  private static final int RUNS = 5;

  private NodeBench() {
  }

  static void main() throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
    long[] startMs = new long[RUNS];
    long[] rssMb = new long[RUNS];
    Path work = Files.createTempDirectory("steward-bench");
    for (int i = 0; i < RUNS; i++) {
      int port = FreePorts.one();
      ProcessBuilder pb = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", NodeProcess.jar().toAbsolutePath().toString()))
        .directory(work.toFile()).redirectErrorStream(true).redirectOutput(work.resolve("node" + i + ".log").toFile());
      pb.environment().put("STEWARD_HTTP_PORT", Integer.toString(port));
      pb.environment().put("STEWARD_CLUSTER_NAME", "bench-" + i + "-" + System.nanoTime());
      pb.environment().put("STEWARD_CLUSTER_PORT", Integer.toString(FreePorts.block(3)));
      long t0 = System.nanoTime();
      Process p = pb.start();
      HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).timeout(Duration.ofMillis(500)).build();
      while (true) {
        try {
          if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
            break;
          }
        } catch (java.io.IOException ignored) {
          // not listening yet
        }
        if (!p.isAlive()) {
          throw new IllegalStateException("node exited; see " + work.resolve("node" + i + ".log"));
        }
        Thread.sleep(5);
      }
      startMs[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      Thread.sleep(5_000); // idle
      rssMb[i] = rssKb(p.pid()) / 1024;
      p.destroy();
      p.waitFor(30, TimeUnit.SECONDS);
      System.out.printf("  run %d: healthy after %d ms, idle RSS %d MiB%n", i + 1, startMs[i], rssMb[i]);
    }
    Stats start = Stats.of(startMs);
    Stats rss = Stats.of(rssMb);
    System.out.printf("node: java -jar to healthy: median %.0f ms (min %.0f, max %.0f); idle RSS median %.0f MiB "
      + "(min %.0f, max %.0f); %d runs, default JVM flags, modules %s%n",
      start.median(), start.min(), start.max(), rss.median(), rss.min(), rss.max(), RUNS, "[http]");
  }

  private static long rssKb(long pid) throws Exception {
    List<String> lines = new ArrayList<>(Files.readAllLines(Path.of("/proc/" + pid + "/status")));
    for (String l : lines) {
      if (l.startsWith("VmRSS:")) {
        return Long.parseLong(l.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
