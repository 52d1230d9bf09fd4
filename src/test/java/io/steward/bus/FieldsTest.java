package io.steward.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FieldsTest {

  private static StewardException badRequest(Runnable r) {
    try {
      r.run();
    } catch (StewardException e) {
      assertThat(e.failure()).isEqualTo(Failure.BAD_REQUEST);
      return e;
    }
    throw new AssertionError("expected a 400");
  }

  @Test
  void a_body_that_is_not_a_json_object_is_a_400_that_says_what_arrived() {
    assertThat(badRequest(() -> Fields.of(null)).getMessage()).isEqualTo("body: a JSON object is required, got nothing");
    assertThat(badRequest(() -> Fields.of(42)).getMessage()).contains("got a number");
    assertThat(badRequest(() -> Fields.of(new JsonArray())).getMessage()).contains("got an array");
    assertThat(badRequest(() -> Fields.of("hello")).getMessage()).contains("not a JSON object");
    assertThat(badRequest(() -> Fields.of("")).getMessage()).contains("an empty body");
    assertThat(badRequest(() -> Fields.of("{\"a\": ")).getMessage()).startsWith("body: malformed JSON");
    assertThat(badRequest(() -> Fields.of(Buffer.buffer(new byte[]{(byte) 0xff, 0x00, 0x7b}))).field()).isNull();
  }

  @Test
  void json_text_and_buffers_holding_an_object_are_accepted() {
    assertThat(Fields.of("{\"type\":\"echo\"}").string("type")).isEqualTo("echo");
    assertThat(Fields.of(Buffer.buffer("{\"type\":\"echo\"}")).string("type")).isEqualTo("echo");
  }

  @Test
  void getters_name_the_field_and_the_reason() {
    Fields f = Fields.of(new JsonObject().put("n", "ten").put("t", -5).put("b", "yes").put("s", 3).put("x", 1.5));
    StewardException e = badRequest(() -> f.integer("n", 1, 0, 10));
    assertThat(e.field()).isEqualTo("n");
    assertThat(e.getMessage()).isEqualTo("n: must be an integer, got a string");
    assertThat(badRequest(() -> f.longValue("t", 1, 1, Long.MAX_VALUE)).getMessage()).isEqualTo("t: must be at least 1, got -5");
    assertThat(badRequest(() -> f.bool("b", false)).getMessage()).isEqualTo("b: must be true or false, got a string");
    assertThat(badRequest(() -> f.string("s")).getMessage()).isEqualTo("s: must be a string, got a number");
    assertThat(badRequest(() -> f.integer("x", 0, 0, 10)).getMessage()).isEqualTo("x: must be an integer, got 1.5");
    assertThat(badRequest(() -> f.string("missing")).getMessage()).isEqualTo("missing: is required");
  }

  @Test
  void integral_doubles_are_integers_and_defaults_apply_when_absent() {
    Fields f = Fields.of(new JsonObject().put("n", 3.0));
    assertThat(f.integer("n", 1, 0, 10)).isEqualTo(3);
    assertThat(f.integer("absent", 7, 0, 10)).isEqualTo(7);
    assertThat(f.oneOf("mode", "all", List.of("all", "any"))).isEqualTo("all");
  }

  @Test
  void one_of_lists_the_allowed_values() {
    Fields f = Fields.of(new JsonObject().put("mode", "most"));
    assertThat(badRequest(() -> f.oneOf("mode", "all", List.of("all", "any"))).getMessage())
      .isEqualTo("mode: must be one of all, any, got 'most'");
  }

  @Test
  void an_unknown_field_is_refused_with_the_expected_ones() {
    Fields f = Fields.of(new JsonObject().put("type", "echo").put("tpye", "x"));
    f.string("type");
    f.object("payload");
    StewardException e = badRequest(f::done);
    assertThat(e.field()).isEqualTo("tpye");
    assertThat(e.getMessage()).isEqualTo("tpye: unknown field (expected one of: type, payload)");
  }

  @Test
  void version_1_is_accepted_and_any_other_is_refused() {
    Fields ok = Fields.of(new JsonObject().put("version", 1).put("a", "b"));
    ok.string("a");
    ok.done();
    assertThat(badRequest(() -> Fields.of(new JsonObject().put("version", 2))).getMessage())
      .isEqualTo("version: unsupported message version 2; this node speaks 1");
    assertThat(badRequest(() -> Fields.of(new JsonObject().put("version", "1"))).field()).isEqualTo("version");
  }

  @Test
  void nested_readers_prefix_their_field_names() {
    Fields f = Fields.nested(new JsonObject().put("count", -1), "retry");
    assertThat(badRequest(() -> f.integer("count", 0, 0, 10)).field()).isEqualTo("retry.count");
  }
}
