package io.steward.edge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Sits in a TCP bridge connection's Netty pipeline in front of the bridge library, which buffers a frame
 * of any announced length and drops invalid JSON with nothing but a log line.
 *
 * <p>A frame is a 4-byte big-endian length and that many bytes of UTF-8 JSON. This handler reads the
 * length first: a frame longer than {@code maxFrameBytes} is answered at once with
 * {@code {"type":"err","message":"frame of N bytes exceeds bridge.maxFrameBytes M"}} and the connection is
 * closed, without reading (let alone buffering) the body; a client announcing 2 GB costs four bytes.
 * Within the limit it waits for the whole frame and checks it is a JSON object with a known {@code type},
 * an {@code address} (except for pings) and well-formed {@code headers}; a frame that is not is answered
 * with an {@code err} frame naming the problem and skipped, and the connection stays usable (the framing
 * is intact, so the next frame is read correctly). Only frames that pass reach the library, unchanged.
 *
 * <p>So one connection holds at most one frame of {@code maxFrameBytes}, and a node at most
 * {@code maxConnections} of them.
 */
final class FrameGuard extends ByteToMessageDecoder {

  static final Set<String> TYPES = Set.of("send", "publish", "register", "unregister", "ping");
  /** The longest {@code headers.timeout} a client may ask for. */
  private static final int MAX_TIMEOUT_MS = 3_600_000;

  private final int maxFrameBytes;
  private final BiConsumer<String, String> refused;
  private boolean closing;

  /** {@code refused} is told (reason, detail) of every refused frame. */
  FrameGuard(int maxFrameBytes, BiConsumer<String, String> refused) {
    this.maxFrameBytes = maxFrameBytes;
    this.refused = refused;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (closing) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (in.readableBytes() < 4) {
      return;
    }
    long length = in.getUnsignedInt(in.readerIndex());
    if (length > maxFrameBytes) {
      closing = true;
      in.skipBytes(in.readableBytes());
      String message = "frame of " + length + " bytes exceeds bridge.maxFrameBytes " + maxFrameBytes;
      refused.accept(BridgeMeters.FRAME_TOO_LARGE, message + " from " + peer(ctx)
        + "; the connection was closed (raise bridge.maxFrameBytes if such frames are legitimate)");
      ctx.writeAndFlush(errFrame(message + "; closing the connection")).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    if (in.readableBytes() < 4 + length) {
      return;
    }
    int start = in.readerIndex();
    String problem = problem(in.toString(start + 4, (int) length, StandardCharsets.UTF_8));
    if (problem == null) {
      out.add(in.readRetainedSlice(4 + (int) length));
      return;
    }
    in.skipBytes(4 + (int) length);
    refused.accept(BridgeMeters.MALFORMED_FRAME, "a malformed frame from " + peer(ctx) + ": "
      + problem + " (the frame was skipped; fix the client)");
    ctx.writeAndFlush(errFrame(problem));
  }

  /** What is wrong with a frame's text, or null if the library can handle it. */
  static String problem(String text) {
    Object parsed;
    try {
      parsed = Json.decodeValue(text);
    } catch (DecodeException e) {
      return "frame is not valid JSON: " + firstLine(e.getMessage());
    }
    if (!(parsed instanceof JsonObject frame)) {
      return "frame must be a JSON object, got " + (parsed == null ? "null" : parsed.getClass().getSimpleName());
    }
    Object type = frame.getValue("type");
    if (!(type instanceof String t)) {
      return type == null ? "frame has no type (expected one of send, publish, register, unregister, ping)"
        : "type: must be a string";
    }
    if (!TYPES.contains(t)) {
      return "type: unknown frame type '" + abbreviate(t) + "' (expected one of send, publish, register, unregister, ping)";
    }
    if (t.equals("ping")) {
      return null;
    }
    Object address = frame.getValue("address");
    if (!(address instanceof String a) || a.isEmpty()) {
      return "address: a " + t + " frame needs a non-empty string address";
    }
    Object reply = frame.getValue("replyAddress");
    if (reply != null && !(reply instanceof String)) {
      return "replyAddress: must be a string";
    }
    Object headers = frame.getValue("headers");
    if (headers != null) {
      if (!(headers instanceof JsonObject h)) {
        return "headers: must be a JSON object";
      }
      for (Map.Entry<String, Object> e : h) {
        String problem = headerProblem(e.getKey(), e.getValue());
        if (problem != null) {
          return problem;
        }
      }
    }
    return null;
  }

  private static String headerProblem(String name, Object value) {
    switch (name) {
      case "timeout":
        if (value instanceof Number n && n.doubleValue() == n.longValue() && n.longValue() >= 1 && n.longValue() <= MAX_TIMEOUT_MS) {
          return null;
        }
        return "headers.timeout: must be an integer number of milliseconds between 1 and " + MAX_TIMEOUT_MS;
      case "localOnly":
        return value instanceof Boolean ? null : "headers.localOnly: must be true or false";
      case "codecName":
        return "headers.codecName: not allowed over the bridge (bodies are JSON)";
      default:
        return value instanceof String ? null : "headers." + abbreviate(name) + ": must be a string";
    }
  }

  private static String peer(ChannelHandlerContext ctx) {
    return ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress a
      ? a.getAddress().getHostAddress() + ":" + a.getPort() : String.valueOf(ctx.channel().remoteAddress());
  }

  static ByteBuf errFrame(String message) {
    byte[] json = new JsonObject().put("type", "err").put("message", message).encode().getBytes(StandardCharsets.UTF_8);
    return Unpooled.buffer(4 + json.length).writeInt(json.length).writeBytes(json);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return abbreviate(nl < 0 ? s : s.substring(0, nl));
  }

  private static String abbreviate(String s) {
    return s.length() <= 120 ? s : s.substring(0, 120) + "…";
  }
}
