package io.steward.cache;

import io.steward.bus.StewardException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonValuesTest {

  @Test
  void values_are_json_within_the_size_limit() {
    assertThat(JsonValues.encode("value", new JsonObject().put("a", 1), 100, "max")).isEqualTo("{\"a\":1}");
    assertThat(JsonValues.encode("value", "é", 100, "max")).isEqualTo("\"é\"");
    assertThat(JsonValues.encode("value", true, 100, "max")).isEqualTo("true");
    assertThatThrownBy(() -> JsonValues.encode("value", null, 100, "max"))
      .isInstanceOf(StewardException.class).hasMessageStartingWith("value: is required");
    assertThatThrownBy(() -> JsonValues.encode("value", "x".repeat(20), 10, "maxValueBytes of cache 'c'"))
      .hasMessage("value: is 22 bytes of JSON, over the limit of 10 bytes (maxValueBytes of cache 'c')");
    assertThatThrownBy(() -> JsonValues.encode("value", Double.NaN, 100, "max")).hasMessageContaining("finite");
  }

  @Test
  void utf8_length_counts_bytes_not_chars() {
    assertThat(JsonValues.utf8Length("abc")).isEqualTo(3);
    assertThat(JsonValues.utf8Length("é")).isEqualTo(2);
    assertThat(JsonValues.utf8Length("€")).isEqualTo(3);
    assertThat(JsonValues.utf8Length("😀")).isEqualTo(4);
    assertThatThrownBy(() -> JsonValues.key("key", "ééé", 5, "maxKeyBytes")).hasMessageStartingWith("key: is 6 bytes");
  }

  @Test
  void json_equality_ignores_key_order_and_number_spelling() {
    assertThat(JsonValues.same(new JsonObject().put("a", 1).put("b", 2.0), new JsonObject().put("b", 2L).put("a", 1.0))).isTrue();
    assertThat(JsonValues.same(new JsonArray().add(1).add("x"), new JsonArray().add(1.0).add("x"))).isTrue();
    assertThat(JsonValues.same(new JsonArray().add(1).add("x"), new JsonArray().add("x").add(1))).isFalse();
    assertThat(JsonValues.same(new JsonObject().put("a", 1), new JsonObject().put("a", 1).put("b", null))).isFalse();
    assertThat(JsonValues.same("1", 1)).isFalse();
    assertThat(JsonValues.same(0.1, 0.1)).isTrue();
  }

  @Test
  void increments_keep_whole_numbers_whole_and_refuse_other_values() {
    assertThat(JsonValues.increment(5, 2, 0)).isEqualTo(7L);
    assertThat(JsonValues.increment(null, 2, 10)).isEqualTo(12L);
    assertThat(JsonValues.increment(1, 0.5, 0)).isEqualTo(1.5);
    assertThatThrownBy(() -> JsonValues.increment(Long.MAX_VALUE, 1, 0)).isInstanceOf(JsonValues.Conflict.class)
      .hasMessageContaining("overflow");
    assertThatThrownBy(() -> JsonValues.increment("7", 1, 0)).isInstanceOf(JsonValues.Conflict.class)
      .hasMessageContaining("a string, not a number");
  }

  @Test
  void merge_follows_rfc_7386() {
    JsonObject target = new JsonObject().put("a", "b").put("c", new JsonObject().put("d", "e").put("f", "g"));
    JsonObject patch = new JsonObject().put("a", "z").put("c", new JsonObject().putNull("f"));
    assertThat(JsonValues.merge(target, patch))
      .isEqualTo(new JsonObject().put("a", "z").put("c", new JsonObject().put("d", "e")));
    assertThat(target.getJsonObject("c").getString("f")).as("the target is not modified").isEqualTo("g");
    assertThat(JsonValues.merge(null, new JsonObject().put("x", new JsonObject().putNull("y"))))
      .isEqualTo(new JsonObject().put("x", new JsonObject()));
    assertThat(JsonValues.merge(new JsonObject().put("a", 1), new JsonObject().put("a", new JsonObject().put("b", 2))))
      .isEqualTo(new JsonObject().put("a", new JsonObject().put("b", 2)));
    assertThatThrownBy(() -> JsonValues.merge(new JsonArray(), new JsonObject())).isInstanceOf(JsonValues.Conflict.class);
  }
}
