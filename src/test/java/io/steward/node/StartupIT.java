package io.steward.node;

import io.steward.testing.FreePorts;
import io.steward.testing.NodeProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;


import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad start-ups end with a clear message and a documented, non-zero exit code. */
class StartupIT {

  @TempDir
  Path dir;

  private record Run(int exit, String output) {
  }

  private Run run(Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
      "-Xmx256m", "-jar", NodeProcess.jar().toAbsolutePath().toString()));
    cmd.addAll(List.of(args));
    Path out = dir.resolve("out-" + UUID.randomUUID() + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("STEWARD_"));
    pb.environment().put("STEWARD_CLUSTER_NAME", "startup-" + UUID.randomUUID());
    pb.environment().put("STEWARD_CLUSTER_PORT", Integer.toString(FreePorts.block(3)));
    pb.environment().putAll(env);
    Process p = pb.start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("process exits").isTrue();
    return new Run(p.exitValue(), Files.readString(out));
  }

  @Test
  void an_unknown_module_exits_2_naming_it() throws Exception {
    Run r = run(Map.of("STEWARD_MODULES", "http,teleport"));
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.output()).contains("modules: unknown module 'teleport'");
  }

  @Test
  void a_malformed_config_file_exits_2_naming_the_file() throws Exception {
    Path conf = dir.resolve("broken.json");
    Files.writeString(conf, "{ \"http\": { \"port\": 8080 ");
    Run r = run(Map.of(), "-conf", conf.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.output()).contains("broken.json: not valid JSON");
  }

  @Test
  void an_unknown_key_in_the_working_directory_config_exits_2() throws Exception {
    Files.createDirectories(dir.resolve("conf"));
    Files.writeString(dir.resolve("conf/config.json"), "{\"http\": {\"prot\": 8080}}");
    Run r = run(Map.of());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.output()).contains("http.prot: unknown key");
  }

  @Test
  void an_http_port_in_use_exits_1_naming_the_port() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Run r = run(Map.of("STEWARD_HTTP_PORT", Integer.toString(taken.getLocalPort())));
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.output()).contains("module 'http' failed to start")
        .contains("cannot listen on 127.0.0.1:" + taken.getLocalPort())
        .contains("STEWARD_HTTP_PORT");
    }
  }

  @Test
  void a_working_directory_cluster_xml_is_used_over_the_packaged_one() throws Exception {
    String packaged;
    try (var in = StartupIT.class.getClassLoader().getResourceAsStream("cluster.xml")) {
      packaged = new String(in.readAllBytes());
    }
    // The same file with an invalid value: if Steward reads the working-directory copy, start-up fails on it.
    Files.writeString(dir.resolve("cluster.xml"), packaged.replace("<cluster-name>steward</cluster-name>",
      "<cluster-name>steward</cluster-name><not-a-hazelcast-element/>"));
    Run r = run(Map.of("STEWARD_HTTP_PORT", Integer.toString(FreePorts.one())));
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.output()).contains("cluster.config: invalid Hazelcast XML in " + dir.resolve("cluster.xml").toAbsolutePath());
  }

  @Test
  void an_unknown_argument_exits_2_with_usage() throws Exception {
    Run r = run(Map.of(), "--cluster");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.output()).contains("unknown argument '--cluster'").contains("usage:");
  }

}
