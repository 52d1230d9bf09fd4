package io.steward.node;

import io.steward.spi.Setting;
import io.steward.spi.ConfigException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(VertxExtension.class)
class ConfigLoaderTest {

  private final ConfigLoader loader = StewardNode.configLoader();

  @Test
  void defaults_give_a_loopback_node_running_the_default_modules() {
    NodeConfig c = loader.resolve(new JsonObject(), Map.of(), Map.of());
    assertThat(c.modules()).isEqualTo(NodeConfig.DEFAULT_MODULES);
    assertThat(c.eventBus().host()).isEqualTo("127.0.0.1");
    assertThat(c.cluster().liteMember()).isFalse();
    assertThat(c.drainMs()).isEqualTo(10_000);
    assertThat(c.section("http").getInteger("port")).isEqualTo(8080);
  }

  @Test
  void the_shipped_conf_file_runs_every_capability_module_of_the_default() throws Exception {
    JsonObject shipped = new JsonObject(Files.readString(Path.of("conf/config.json")));
    NodeConfig c = loader.resolve(shipped, Map.of(), Map.of());
    assertThat(c.modules()).isEqualTo(NodeConfig.DEFAULT_MODULES);
  }

  @Test
  void environment_overrides_the_file_and_system_properties_override_both() {
    JsonObject file = new JsonObject().put("http", new JsonObject().put("port", 9000));
    NodeConfig env = loader.resolve(file, Map.of("STEWARD_HTTP_PORT", "9001"), Map.of());
    assertThat(env.section("http").getInteger("port")).isEqualTo(9001);
    NodeConfig sys = loader.resolve(file, Map.of("STEWARD_HTTP_PORT", "9001"), Map.of("steward.http.port", "9002"));
    assertThat(sys.section("http").getInteger("port")).isEqualTo(9002);
  }

  @Test
  void lists_and_booleans_parse_from_environment_text() {
    NodeConfig c = loader.resolve(new JsonObject(), Map.of(
      "STEWARD_CLUSTER_MEMBERS", "10.0.0.1, 10.0.0.2:5701",
      "STEWARD_CLUSTER_LITE_MEMBER", "TRUE",
      "STEWARD_MODULES", "http"), Map.of());
    assertThat(c.cluster().members()).containsExactly("10.0.0.1", "10.0.0.2:5701");
    assertThat(c.cluster().liteMember()).isTrue();
  }

  @Test
  void an_unknown_key_in_the_file_is_named() {
    assertThatThrownBy(() -> loader.resolve(new JsonObject().put("http", new JsonObject().put("prot", 1)), Map.of(), Map.of()))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("http.prot: unknown key")
      .hasMessageContaining("port");
    assertThatThrownBy(() -> loader.resolve(new JsonObject().put("htp", new JsonObject()), Map.of(), Map.of()))
      .hasMessageContaining("htp: unknown key");
  }

  @Test
  void a_value_of_the_wrong_type_is_named() {
    assertThatThrownBy(() -> loader.resolve(new JsonObject().put("http", new JsonObject().put("port", "80")), Map.of(), Map.of()))
      .hasMessageContaining("http.port: must be an integer, got a string");
    assertThatThrownBy(() -> loader.resolve(new JsonObject(), Map.of("STEWARD_HTTP_PORT", "eighty"), Map.of()))
      .hasMessageContaining("STEWARD_HTTP_PORT: must be an integer, got 'eighty'");
    assertThatThrownBy(() -> loader.resolve(new JsonObject().put("http", new JsonObject().put("port", 70000)), Map.of(), Map.of()))
      .hasMessageContaining("http.port: must be a port");
  }

  @Test
  void the_stuck_migration_settings_refuse_bad_values_by_name() {
    assertThatThrownBy(() -> loader.resolve(new JsonObject().put("cluster", new JsonObject().put("stuckMigrationMs", -1)),
        Map.of(), Map.of()))
      .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.stuckMigrationMs");
    assertThatThrownBy(() -> loader.resolve(new JsonObject(), Map.of("STEWARD_CLUSTER_STUCK_MIGRATION_EXIT", "maybe"), Map.of()))
      .isInstanceOf(ConfigException.class).hasMessageContaining("STEWARD_CLUSTER_STUCK_MIGRATION_EXIT");
    assertThat(loader.resolve(new JsonObject(), Map.of("STEWARD_CLUSTER_STUCK_MIGRATION_EXIT", "false"), Map.of())
      .merged().getJsonObject("cluster").getBoolean("stuckMigrationExit")).isFalse();
  }

  @Test
  void an_unknown_environment_variable_or_property_is_named_with_a_suggestion() {
    assertThatThrownBy(() -> loader.resolve(new JsonObject(), Map.of("STEWARD_HTTP_PROT", "1"), Map.of()))
      .hasMessageContaining("STEWARD_HTTP_PROT: unknown environment variable (did you mean STEWARD_HTTP_PORT?)");
    assertThatThrownBy(() -> loader.resolve(new JsonObject(), Map.of(), Map.of("steward.http.prot", "1")))
      .hasMessageContaining("steward.http.prot: unknown system property");
  }

  @Test
  void an_unknown_or_repeated_module_is_a_start_up_error() {
    assertThatThrownBy(() -> loader.resolve(new JsonObject(), Map.of("STEWARD_MODULES", "http,teleport"), Map.of()))
      .hasMessageContaining("modules: unknown module 'teleport'");
    assertThatThrownBy(() -> loader.resolve(new JsonObject(), Map.of("STEWARD_MODULES", "http,http"), Map.of()))
      .hasMessageContaining("listed twice");
  }

  @Test
  void environment_and_property_names_derive_from_the_path() {
    Setting s = Setting.bool("cluster.liteMember", false, "");
    assertThat(s.env()).isEqualTo("STEWARD_CLUSTER_LITE_MEMBER");
    assertThat(s.sysProp()).isEqualTo("steward.cluster.liteMember");
  }

  @Test
  void malformed_json_in_the_config_file_is_a_config_error(Vertx vertx, VertxTestContext ctx, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.json");
    Files.writeString(file, "{ \"http\": { \"port\": 80, }");
    loader.load(vertx, file.toString()).onComplete(ctx.failing(err -> ctx.verify(() -> {
      assertThat(err).isInstanceOf(ConfigException.class).hasMessageContaining("not valid JSON");
      ctx.completeNow();
    })));
  }

  @Test
  void a_missing_explicit_config_file_is_a_config_error(Vertx vertx, VertxTestContext ctx, @TempDir Path dir) {
    loader.load(vertx, dir.resolve("nope.json").toString()).onComplete(ctx.failing(err -> ctx.verify(() -> {
      assertThat(err).hasMessageContaining("-conf: file not found");
      ctx.completeNow();
    })));
  }

  @Test
  void the_file_is_read_through_vertx_config(Vertx vertx, VertxTestContext ctx, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("ok.json");
    Files.writeString(file, "{\"http\": {\"port\": 8181}, \"shutdown\": {\"drainMs\": 5}}");
    loader.load(vertx, file.toString()).onComplete(ctx.succeeding(c -> ctx.verify(() -> {
      assertThat(c.section("http").getInteger("port")).isEqualTo(8181);
      assertThat(c.drainMs()).isEqualTo(5);
      ctx.completeNow();
    })));
  }
}
