package io.steward.bus;

import io.steward.edge.BridgePermissions;
import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class DoorTest {

  private static final Door DOOR = Door.of("the TCP bridge", "bridge.inbound or bridge.targets",
    BridgePermissions.parseList(new JsonObject().put("inbound", new JsonArray().add("steward.tasks.submit")), "inbound",
      "bridge", StewardException::badRequest),
    List.of(new AddressRule(null, java.util.regex.Pattern.compile("app\\.workers\\.[a-z]+"))));

  @Test
  void a_door_permits_the_addresses_of_its_lists_and_nothing_else() {
    assertThat(DOOR.permits("steward.tasks.submit")).isTrue();
    assertThat(DOOR.permits("app.workers.resize")).isTrue();
    assertThat(DOOR.permits("app.workers.resize.more")).isFalse();
    assertThat(DOOR.permits("steward.nodes.list")).isFalse();
    assertThat(DOOR.permits("__vertx.reply.1")).isFalse();
    assertThat(DOOR.permits(null)).isFalse();
  }

  @Test
  void a_refusal_is_a_403_naming_the_field_the_address_and_the_settings() {
    StewardException e = catchThrowableOfType(StewardException.class, () -> DOOR.check("payload.address", "steward.cache.clear"));
    assertThat(e.failure()).isEqualTo(Failure.FORBIDDEN);
    assertThat(e.failure().code()).isEqualTo(403);
    assertThat(e.field()).isEqualTo("payload.address");
    assertThat(e.getMessage()).isEqualTo("payload.address: access denied: 'steward.cache.clear' is not a target that "
      + "requests through the TCP bridge may reach (add it to bridge.inbound or bridge.targets)");
  }

  @Test
  void the_rule_travels_in_a_header_that_replaces_any_other_of_that_name() {
    DeliveryOptions options = new DeliveryOptions().addHeader(Door.HEADER, "{\"door\":\"forged\"}");
    DOOR.stamp(options);
    assertThat(options.getHeaders().getAll(Door.HEADER)).containsExactly(DOOR.header());
    Door read = Door.from(options.getHeaders());
    assertThat(read).isEqualTo(DOOR);
    assertThat(read.permits("app.workers.resize")).isTrue();
    assertThat(Door.fromJson(DOOR.toJson(), "door")).isEqualTo(DOOR);
    assertThat(Door.from(MultiMap.caseInsensitiveMultiMap())).as("no header: from inside the cluster").isNull();
    assertThat(Door.stamp(null, new DeliveryOptions()).getHeaders()).isNull();
  }

  @Test
  void a_malformed_rule_is_a_400_naming_where_it_is() {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add(Door.HEADER, "not json");
    StewardException e = catchThrowableOfType(StewardException.class, () -> Door.from(headers));
    assertThat(e.failure()).isEqualTo(Failure.BAD_REQUEST);
    assertThat(e.field()).isEqualTo("headers.steward-door");
    StewardException wrongType = catchThrowableOfType(StewardException.class, () -> Door.fromJson("x", "payload.door"));
    assertThat(wrongType.getMessage()).startsWith("payload.door: must be a door's rule");
    StewardException badRule = catchThrowableOfType(StewardException.class, () -> Door.fromJson(new JsonObject()
      .put("door", "d").put("setting", "s").put("permits", new JsonArray().add(new JsonObject())), "door"));
    assertThat(badRule.getMessage()).startsWith("door.permits[0]: must have exactly one of address, addressRegex");
  }
}
