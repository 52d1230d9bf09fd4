package io.steward.edge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The frame guard alone, in Netty's embedded channel: what passes to the library, what is answered. */
class FrameGuardTest {

  private final List<String> refusals = new ArrayList<>();
  private final EmbeddedChannel channel = new EmbeddedChannel(new FrameGuard(1024, (reason, detail) -> refusals.add(reason)));

  private static ByteBuf frame(String json) {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    return Unpooled.buffer().writeInt(bytes.length).writeBytes(bytes);
  }

  private JsonObject answer() {
    ByteBuf out = channel.readOutbound();
    assertThat(out).as("an answer frame").isNotNull();
    int length = out.readInt();
    assertThat(out.readableBytes()).isEqualTo(length);
    JsonObject json = new JsonObject(out.toString(StandardCharsets.UTF_8));
    out.release();
    return json;
  }

  private String passed() {
    ByteBuf in = channel.readInbound();
    assertThat(in).as("a frame passed on").isNotNull();
    int length = in.readInt();
    String text = in.readCharSequence(length, StandardCharsets.UTF_8).toString();
    in.release();
    return text;
  }

  @Test
  void a_valid_frame_passes_unchanged_even_when_it_arrives_in_pieces() {
    String json = "{\"type\":\"send\",\"address\":\"a\",\"body\":{\"x\":1}}";
    ByteBuf whole = frame(json);
    channel.writeInbound(whole.readRetainedSlice(2));
    channel.writeInbound(whole.readRetainedSlice(5));
    assertThat((Object) channel.readInbound()).isNull();
    channel.writeInbound(whole);
    assertThat(passed()).isEqualTo(json);
    assertThat((Object) channel.readOutbound()).isNull();
  }

  @Test
  void several_frames_in_one_read_are_each_checked() {
    ByteBuf both = Unpooled.buffer().writeBytes(frame("{\"type\":\"ping\"}")).writeBytes(frame("nope"))
      .writeBytes(frame("{\"type\":\"publish\",\"address\":\"b\"}"));
    channel.writeInbound(both);
    assertThat(passed()).isEqualTo("{\"type\":\"ping\"}");
    assertThat(passed()).isEqualTo("{\"type\":\"publish\",\"address\":\"b\"}");
    assertThat(answer().getString("message")).startsWith("frame is not valid JSON");
    assertThat(refusals).containsExactly("malformed_frame");
    assertThat(channel.isOpen()).isTrue();
  }

  @Test
  void a_frame_over_the_limit_is_refused_from_its_header_and_the_connection_closed() {
    channel.writeInbound(Unpooled.buffer().writeInt(0xFFFF_FFFF).writeBytes(new byte[] {'{'}));
    assertThat(answer().getString("message")).startsWith("frame of 4294967295 bytes exceeds bridge.maxFrameBytes 1024");
    assertThat(channel.isOpen()).isFalse();
    assertThat(refusals).containsExactly("frame_too_large");
    assertThat((Object) channel.readInbound()).isNull();
  }

  @Test
  void a_frame_of_exactly_the_limit_passes() {
    String head = "{\"type\":\"send\",\"address\":\"a\",\"body\":\"";
    String json = head + "x".repeat(1024 - head.length() - 2) + "\"}";
    assertThat(json).hasSize(1024);
    channel.writeInbound(frame(json));
    assertThat(passed()).isEqualTo(json);
  }

  @Test
  void problems_are_named() {
    assertThat(FrameGuard.problem("{\"type\":\"register\",\"address\":\"\"}")).startsWith("address: a register frame needs");
    assertThat(FrameGuard.problem("{\"type\":1}")).isEqualTo("type: must be a string");
    assertThat(FrameGuard.problem("{\"type\":\"send\",\"address\":\"a\",\"replyAddress\":7}")).isEqualTo("replyAddress: must be a string");
    assertThat(FrameGuard.problem("{\"type\":\"send\",\"address\":\"a\",\"headers\":[]}")).isEqualTo("headers: must be a JSON object");
    assertThat(FrameGuard.problem("{\"type\":\"send\",\"address\":\"a\",\"headers\":{\"timeout\":0}}")).startsWith("headers.timeout:");
    assertThat(FrameGuard.problem("{\"type\":\"send\",\"address\":\"a\",\"headers\":{\"timeout\":500,\"localOnly\":true,\"token\":\"t\"}}")).isNull();
    assertThat(FrameGuard.problem("null")).isEqualTo("frame must be a JSON object, got null");
  }
}
