package io.steward.bridge;

import io.steward.spi.ConfigException;
import io.steward.node.StewardNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The bridges' settings as a node reads them: defaults, overrides, errors that name the key. */
class BridgeConfigTest {

  private static JsonObject section(JsonObject file, Map<String, String> env) {
    return StewardNode.configLoader().resolve(file, env, Map.of()).section("bridge");
  }

  @Test
  void defaults_listen_on_loopback_and_let_nothing_through() {
    BridgeConfig c = BridgeConfig.from(section(new JsonObject(), Map.of()));
    assertThat(c.host()).isEqualTo("127.0.0.1");
    assertThat(c.port()).isEqualTo(7000);
    assertThat(c.tokens().required()).isFalse();
    assertThat(c.permissions().inboundRules()).isEmpty();
    assertThat(c.permissions().outboundRules()).isEmpty();
    assertThat(c.tls()).isFalse();
  }

  @Test
  void permissions_and_tokens_come_from_the_environment_too() {
    BridgeConfig c = BridgeConfig.from(section(new JsonObject(), Map.of(
      "STEWARD_BRIDGE_INBOUND", "[\"steward.tasks.submit\", {\"addressRegex\": \"steward\\\\.cache\\\\..+\"}]",
      "STEWARD_BRIDGE_TOKENS", "aaaaaaaaaaaaaaaa1,bbbbbbbbbbbbbbbb2")));
    assertThat(c.permissions().inbound("steward.cache.get")).isTrue();
    assertThat(c.permissions().inbound("steward.tasks.submit")).isTrue();
    assertThat(c.tokens().accepts("bbbbbbbbbbbbbbbb2")).isTrue();
  }

  @Test
  void bad_values_stop_start_up_naming_the_key() {
    JsonObject badRegex = new JsonObject().put("bridge", new JsonObject()
      .put("outbound", new JsonArray().add("ok").add(new JsonObject().put("addressRegex", "[unclosed"))));
    assertThatThrownBy(() -> section(badRegex, Map.of())).isInstanceOf(ConfigException.class)
      .hasMessageContaining("bridge.outbound[1].addressRegex: not a valid regex");
    JsonObject allowAll = new JsonObject().put("http", new JsonObject().put("bridgeInbound", new JsonArray().add(new JsonObject())));
    assertThatThrownBy(() -> section(allowAll, Map.of())).isInstanceOf(ConfigException.class)
      .hasMessageContaining("http.bridgeInbound[0]: must have exactly one of address, addressRegex");
    assertThatThrownBy(() -> section(new JsonObject(), Map.of("STEWARD_BRIDGE_TOKENS", "short"))).isInstanceOf(ConfigException.class)
      .hasMessageContaining("bridge.tokens[0]: a token must be at least 16 characters");
    assertThatThrownBy(() -> section(new JsonObject(), Map.of("STEWARD_HTTP_TOKENS", "short"))).isInstanceOf(ConfigException.class)
      .hasMessageContaining("http.tokens[0]");
    assertThatThrownBy(() -> section(new JsonObject(), Map.of("STEWARD_BRIDGE_MAX_FRAME_BYTES", "10"))).isInstanceOf(ConfigException.class)
      .hasMessageContaining("bridge.maxFrameBytes: must be between 1024");
    assertThatThrownBy(() -> section(new JsonObject(), Map.of("STEWARD_BRIDGE_KEY_STORE", "/no/such/file.p12"))).isInstanceOf(ConfigException.class)
      .hasMessageContaining("bridge.keyStore: file not found");
  }
}
