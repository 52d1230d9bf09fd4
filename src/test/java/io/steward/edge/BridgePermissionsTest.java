package io.steward.edge;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.BridgeOptions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BridgePermissionsTest {

  private static BridgePermissions parse(JsonArray inbound, JsonArray outbound) {
    JsonObject section = new JsonObject().put("inbound", inbound).put("outbound", outbound);
    return BridgePermissions.parse(section, "inbound", "outbound", "bridge", (path, reason) -> new IllegalArgumentException(path + ": " + reason));
  }

  @Test
  void empty_lists_let_nothing_through() {
    BridgePermissions p = parse(new JsonArray(), new JsonArray());
    for (BridgeEventType type : new BridgeEventType[] {BridgeEventType.SEND, BridgeEventType.PUBLISH}) {
      assertThat(p.refusal(type, "steward.tasks.submit")).isEqualTo("inbound");
    }
    for (BridgeEventType type : new BridgeEventType[] {BridgeEventType.REGISTER, BridgeEventType.UNREGISTER, BridgeEventType.RECEIVE}) {
      assertThat(p.refusal(type, "steward.tasks.events")).isEqualTo("outbound");
    }
    assertThat(p.refusal(BridgeEventType.SEND, null)).isEqualTo("inbound");
  }

  @Test
  void addresses_and_regexes_match_whole_addresses_in_their_direction() {
    BridgePermissions p = parse(
      new JsonArray().add("steward.tasks.submit").add(new JsonObject().put("addressRegex", "steward\\.cache\\.[a-z]+")),
      new JsonArray().add(new JsonObject().put("address", "steward.tasks.events")));
    assertThat(p.refusal(BridgeEventType.SEND, "steward.tasks.submit")).isNull();
    assertThat(p.refusal(BridgeEventType.PUBLISH, "steward.cache.get")).isNull();
    assertThat(p.refusal(BridgeEventType.SEND, "steward.cache.get.more")).isEqualTo("inbound");
    assertThat(p.refusal(BridgeEventType.SEND, "steward.tasks.submitx")).isEqualTo("inbound");
    assertThat(p.refusal(BridgeEventType.SEND, "steward.tasks.events")).as("outbound is not inbound").isEqualTo("inbound");
    assertThat(p.refusal(BridgeEventType.REGISTER, "steward.tasks.events")).isNull();
    assertThat(p.refusal(BridgeEventType.REGISTER, "steward.tasks.submit")).isEqualTo("outbound");
    assertThat(p.refusal(BridgeEventType.SOCKET_PING, null)).isNull();
  }

  @Test
  void a_send_to_a_reply_address_is_left_to_the_library() {
    BridgePermissions p = parse(new JsonArray(), new JsonArray());
    assertThat(p.refusal(BridgeEventType.SEND, "__vertx.reply.4f1c0c8e-5b0b-4a53-9d3e-2b8f1d7d0a11")).isNull();
    assertThat(p.refusal(BridgeEventType.PUBLISH, "__vertx.reply.4f1c0c8e")).isEqualTo("inbound");
  }

  @Test
  void the_library_gets_the_same_rules() {
    BridgeOptions options = parse(new JsonArray().add("a").add(new JsonObject().put("addressRegex", "b.*")),
      new JsonArray().add("c")).applyTo(new BridgeOptions());
    assertThat(options.getInboundPermitteds()).hasSize(2);
    assertThat(options.getInboundPermitteds().get(0).getAddress()).isEqualTo("a");
    assertThat(options.getInboundPermitteds().get(1).getAddressRegex()).isEqualTo("b.*");
    assertThat(options.getOutboundPermitteds().get(0).getAddress()).isEqualTo("c");
  }

  @Test
  void bad_rules_are_refused_with_their_path() {
    assertThatThrownBy(() -> parse(new JsonArray().add(new JsonObject()), new JsonArray()))
      .hasMessageStartingWith("bridge.inbound[0]: must have exactly one of address, addressRegex");
    assertThatThrownBy(() -> parse(new JsonArray(), new JsonArray().add("ok").add(new JsonObject().put("addressRegex", "(("))))
      .hasMessageStartingWith("bridge.outbound[1].addressRegex: not a valid regex");
    assertThatThrownBy(() -> parse(new JsonArray().add(new JsonObject().put("address", "a").put("match", new JsonObject())), new JsonArray()))
      .hasMessageStartingWith("bridge.inbound[0].match: unknown key");
    assertThatThrownBy(() -> parse(new JsonArray().add(new JsonObject().put("address", "a").put("addressRegex", "a")), new JsonArray()))
      .hasMessageStartingWith("bridge.inbound[0]: must have exactly one");
    assertThatThrownBy(() -> parse(new JsonArray().add(" "), new JsonArray())).hasMessageStartingWith("bridge.inbound[0]: must not be blank");
    assertThatThrownBy(() -> parse(new JsonArray().add(5), new JsonArray())).hasMessageStartingWith("bridge.inbound[0]: must be an address string");
    JsonObject notAList = new JsonObject().put("inbound", new JsonObject());
    assertThatThrownBy(() -> BridgePermissions.parse(notAList, "inbound", "outbound", "bridge", (path, reason) -> new IllegalArgumentException(path + ": " + reason)))
      .hasMessage("bridge.inbound: must be a JSON array of rules");
  }
}
