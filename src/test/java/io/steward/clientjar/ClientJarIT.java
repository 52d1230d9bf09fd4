package io.steward.clientjar;

import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client jar on its own: a separate JVM whose class path is the client jar and the client's declared
 * dependencies (vertx-core, vertx-hazelcast and what they bring: Netty, jackson-core, Hazelcast; and jackson-databind
 * for records as values), never
 * {@code target/classes} or the fat jar, joins two fat-jar nodes as a lite member, submits a task and awaits it,
 * puts a job, puts and gets a cache entry (a record), and gets a typed failure back.
 */
class ClientJarIT {

  /** The client's declared dependencies and theirs, as paths in the local Maven repository. */
  private static final Pattern DECLARED = Pattern.compile(".*/(io/vertx/vertx-core|io/vertx/vertx-core-logging"
    + "|io/vertx/vertx-hazelcast|com/hazelcast/hazelcast|com/fasterxml/jackson/core/jackson-(core|databind|annotations)"
    + "|io/netty/netty-(?!.*native)(?!transport-classes)[a-z0-9-]+)/[^/]+/[^/]+\\.jar");

  @Test
  void a_jvm_with_only_the_client_jar_submits_a_task_puts_a_job_uses_a_cache_and_gets_typed_failures() throws Exception {
    Path clientJar = Path.of(System.getProperty("test.steward.client.jar", "target/steward-0.1.0-SNAPSHOT-client.jar"));
    assertThat(clientJar).as("the client jar (mvn package)").isRegularFile();
    List<String> classPath = new ArrayList<>();
    classPath.add(clientJar.toAbsolutePath().toString());
    String testClassPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Arrays.stream(testClassPath.split(File.pathSeparator))
      .filter(entry -> DECLARED.matcher(entry.replace(File.separatorChar, '/')).matches())
      .forEach(classPath::add);
    assertThat(classPath).as("vertx-core, vertx-hazelcast, hazelcast, jackson-core, netty")
      .anyMatch(p -> p.contains("vertx-core-")).anyMatch(p -> p.contains("vertx-hazelcast-"))
      .anyMatch(p -> p.contains("/hazelcast-5.")).anyMatch(p -> p.contains("jackson-core-"))
      .anyMatch(p -> p.contains("netty-transport-"))
      .noneMatch(p -> p.contains("classes") && !p.endsWith(".jar")).noneMatch(p -> p.endsWith("steward.jar"));

    try (ProcessCluster cluster = ProcessCluster.create(ClientJarIT.class, 2)
           .env("STEWARD_MODULES", "http,tasks,fanout,schedule,cache")) {
      List<NodeProcess> nodes = cluster.start(2);
      cluster.awaitNodeCount(nodes.get(0), 2, 90_000);
      String[] members = cluster.members().split(",");
      String last = members[members.length - 1];
      Path source = Path.of("src/test/java/io/steward/clientjar/SeparateJvmClient.java").toAbsolutePath();
      Path log = nodes.get(0).log().resolveSibling("client.log");
      Files.writeString(log.resolveSibling("client-classpath.txt"), String.join("\n", classPath) + "\n");
      List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-Dhazelcast.phone.home.enabled=false",
        "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens", "java.management/sun.management=ALL-UNNAMED",
        "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
        "-cp", String.join(File.pathSeparator, classPath), source.toString(),
        cluster.clusterName(), cluster.members(), last.substring(last.indexOf(':') + 1),
        Integer.toString(ProcessCluster.FAILURE_DETECTION_SECONDS)));
      Process client = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
      boolean exited = client.waitFor(180, TimeUnit.SECONDS);
      if (!exited) {
        client.destroyForcibly();
      }
      String output = Files.readString(log);
      assertThat(exited).as("the client JVM exited in time; its output:\n" + output).isTrue();
      assertThat(client.exitValue()).as("the client JVM's exit code; its output:\n" + output).isZero();
      String line = output.lines().filter(l -> l.startsWith("RESULT ")).findFirst()
        .orElseThrow(() -> new AssertionError("no RESULT line in the client's output:\n" + output));
      JsonObject result = new JsonObject(line.substring("RESULT ".length()));

      assertThat(result.getBoolean("serverClassesVisible")).as("Steward's server classes on the client's class path").isFalse();
      assertThat(result.getJsonObject("task").getString("state")).isEqualTo("succeeded");
      assertThat(result.getJsonObject("task").getJsonObject("result")).isEqualTo(new JsonObject().put("from", "another JVM"));
      assertThat(result.getJsonObject("job").getString("name")).isEqualTo("separate-jvm");
      assertThat(nodes.get(1).get("/schedules/separate-jvm").status()).as("the job, read over HTTP").isEqualTo(200);
      assertThat(result.getJsonObject("cache")).as("a record, through Jackson databind").isEqualTo(new JsonObject().put("name", "Ada").put("age", 36));
      assertThat(nodes.get(1).get("/caches/separate-jvm/42").json().getJsonObject("value"))
        .isEqualTo(new JsonObject().put("name", "Ada").put("age", 36));
      assertThat(result.getJsonObject("failure")).isEqualTo(new JsonObject().put("type", "io.steward.client.StewardException")
        .put("code", 404).put("name", "NOT_FOUND").put("retryable", false).put("mayHaveApplied", false));
      assertThat(nodes.get(0).get("/tasks/" + result.getJsonObject("task").getString("id")).status())
        .as("the task, read over HTTP").isEqualTo(200);
    }
  }
}
