package io.steward.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One Steward node as its own JVM, started from the fat jar ({@code target/steward.jar}) with
 * {@code STEWARD_*} environment variables, its output in {@code target/test-logs/<test>/<name>.log}.
 * Signals are real: SIGKILL, SIGTERM, SIGSTOP, SIGCONT.
 */
public final class NodeProcess {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final String name;
  private final String host;
  private final List<String> launcher;
  private final int httpPort;
  private final Path log;
  private final Map<String, String> env;
  private final Path workDir;
  private Process process;
  private volatile boolean paused;

  NodeProcess(String name, int httpPort, Path log, Path workDir, Map<String, String> env) {
    this(name, "127.0.0.1", List.of(), httpPort, log, workDir, env);
  }

  /**
   * @param host     where the node's HTTP API is reached ({@code http.host})
   * @param launcher a command the JVM runs under, e.g. {@code ip netns exec NS} (empty: none)
   */
  NodeProcess(String name, String host, List<String> launcher, int httpPort, Path log, Path workDir, Map<String, String> env) {
    this.name = name;
    this.host = host;
    this.launcher = List.copyOf(launcher);
    this.httpPort = httpPort;
    this.log = log;
    this.workDir = workDir;
    this.env = env;
  }

  /** The fat jar under test: {@code -Dsteward.jar} (set by failsafe), else {@code target/steward.jar}. */
  public static Path jar() {
    Path jar = Path.of(System.getProperty("test.steward.jar", "target/steward.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no fat jar at " + jar.toAbsolutePath() + ": run `mvn package` (or `mvn verify`)");
    }
    return jar;
  }

  /** Starts (or restarts, appending to the same log) the JVM. */
  public NodeProcess start() throws IOException {
    return start(Map.of());
  }

  /**
   * Starts (or restarts) the JVM with {@code extraEnv} on top of its environment for this start only (e.g. a
   * libfaketime preload for a node whose wall clock a test skews).
   */
  public NodeProcess start(Map<String, String> extraEnv) throws IOException {
    Files.createDirectories(log.getParent());
    Files.createDirectories(workDir);
    List<String> cmd = new ArrayList<>(launcher);
    cmd.addAll(List.of(javaBin(), "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC"));
    cmd.addAll(ClassArchive.options());
    cmd.addAll(List.of("-Dhazelcast.phone.home.enabled=false", "-jar", jar().toAbsolutePath().toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile())
      .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().keySet().removeIf(k -> k.startsWith("STEWARD_"));
    pb.environment().putAll(env);
    pb.environment().putAll(extraEnv);
    process = pb.start();
    return this;
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  public String name() {
    return name;
  }

  public int httpPort() {
    return httpPort;
  }

  public String url() {
    return "http://" + host + ":" + httpPort;
  }

  public long pid() {
    return process.pid();
  }

  public Path log() {
    return log;
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** GET a path; the status and body, or status -1 when the node does not answer. */
  public Response get(String path) {
    return send(HttpRequest.newBuilder(URI.create(url() + path)).GET());
  }

  /** How many nodes GET /nodes lists, or -1 when the node does not answer 200. */
  public int nodeCount() {
    Response r = get("/nodes");
    return r.status() == 200 ? r.json().getInteger("count") : -1;
  }

  /** Whether GET /health says the cluster is safe (no migration running, every backup in sync). */
  public boolean clusterSafe() {
    Response r = get("/health");
    return r.status() == 200 && r.json().getJsonArray("checks").stream().map(c -> (io.vertx.core.json.JsonObject) c)
      .filter(c -> "cluster".equals(c.getString("id")))
      .anyMatch(c -> Boolean.TRUE.equals(c.getJsonObject("data", new io.vertx.core.json.JsonObject()).getBoolean("safe")));
  }

  public Response post(String path, String json) {
    return send(HttpRequest.newBuilder(URI.create(url() + path)).header("content-type", "application/json")
      .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  public Response put(String path, String json) {
    return send(HttpRequest.newBuilder(URI.create(url() + path)).header("content-type", "application/json")
      .PUT(HttpRequest.BodyPublishers.ofString(json)));
  }

  public Response send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = HTTP.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body());
    } catch (IOException e) {
      return new Response(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Response(-1, e.toString());
    }
  }

  /** SIGKILL: no shutdown hooks, no goodbye to the cluster. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM, then the exit code (or -1 if it did not exit in time). */
  public int terminate(long timeoutMs) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
      return -1;
    }
    return process.exitValue();
  }

  /** SIGTERM without waiting (to stop several nodes at once); then {@link #awaitExit}. */
  public void sigterm() {
    process.destroy();
  }

  /** The exit code, or -1 if the process did not exit within {@code timeoutMs}. */
  public int awaitExit(long timeoutMs) throws InterruptedException {
    if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
      return -1;
    }
    return process.exitValue();
  }

  /** SIGSTOP: the process freezes with its sockets open, as in a long GC pause or a hung VM. */
  public void pause() throws IOException, InterruptedException {
    paused = true;
    signal("STOP");
  }

  /**
   * Whether this node was ever SIGSTOPped: a pause that catches an event loop in the middle of a task makes Vert.x
   * report that loop blocked once the process runs again, so such a node's blocked-thread warnings prove nothing.
   */
  public boolean wasPaused() {
    return paused;
  }

  /** Vert.x's blocked-thread warnings in this node's log ("Thread … has been blocked for … ms"). */
  public List<String> blockedThreadWarnings() {
    return logText().lines().filter(l -> l.contains(BlockedThreads.WARNING)).toList();
  }

  /** SIGCONT. */
  public void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  private void signal(String sig) throws IOException, InterruptedException {
    int rc = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start().waitFor();
    if (rc != 0) {
      throw new IOException("kill -" + sig + " " + process.pid() + " exited with " + rc);
    }
  }

  /** The last lines of this node's log, for failure reports. */
  public String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  public String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "";
    }
  }

  public record Response(int status, String body) {
    public io.vertx.core.json.JsonObject json() {
      return new io.vertx.core.json.JsonObject(body);
    }
  }
}
