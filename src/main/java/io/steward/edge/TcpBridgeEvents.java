package io.steward.edge;

import io.steward.bus.Door;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.eventbus.bridge.tcp.BridgeEvent;

/**
 * Decides every TCP bridge event on its own, whatever the library would do: a SEND, PUBLISH, REGISTER or
 * UNREGISTER frame needs a valid {@code headers.token} (when {@code bridge.tokens} are set) and an
 * address the permissions allow ({@link BridgePermissions#refusal}). The token is removed from the
 * frame's headers before the library sees it, so it never travels on the event bus, and the bridge's
 * {@link Door} header is put in its place (a client's own header of that name is overwritten), so the modules
 * check the addresses a body names against {@code bridge.inbound} and {@code bridge.targets}.
 *
 * <p>A refused frame gets the library's {@code {"type":"err","message":"blocked by bridgeEvent handler"}}.
 * A refused request (a send with a {@code replyAddress}) is first answered on its reply address like any
 * failed request, {@code {"type":"err","address":<replyAddress>,"failureCode":401|403,"message":…}}, so
 * the client's callback fails at once instead of timing out.
 */
public final class TcpBridgeEvents implements Handler<BridgeEvent> {

  static final int UNAUTHORIZED = 401;
  static final int FORBIDDEN = 403;

  private final Tokens tokens;
  private final BridgePermissions permissions;
  private final Door door;
  private final BridgeMeters meters;

  public TcpBridgeEvents(Tokens tokens, BridgePermissions permissions, Door door, BridgeMeters meters) {
    this.tokens = tokens;
    this.permissions = permissions;
    this.door = door;
    this.meters = meters;
  }

  @Override
  public void handle(BridgeEvent event) {
    BridgeEventType type = event.type();
    if (type != BridgeEventType.SEND && type != BridgeEventType.PUBLISH && type != BridgeEventType.REGISTER
      && type != BridgeEventType.UNREGISTER) {
      event.complete(true);
      return;
    }
    JsonObject frame = event.getRawMessage();
    String address = frame.getString("address");
    JsonObject headers = frame.getJsonObject("headers");
    Object token = headers == null ? null : headers.remove("token");
    String from = String.valueOf(event.socket().remoteAddress());
    if (tokens.required() && !tokens.accepts(token instanceof String s ? s : null)) {
      String why = token == null ? "no token" : "an invalid token";
      meters.refused(BridgeMeters.TOKEN, "a " + name(type) + " to '" + address + "' from " + from + " with " + why
        + " (clients put one of bridge.tokens in each frame's headers.token)");
      refuse(event, frame, UNAUTHORIZED, why + ": put one of the bridge's tokens in headers.token");
      return;
    }
    String reason = permissions.refusal(type, address);
    if (reason != null) {
      String list = reason.equals(BridgeMeters.INBOUND) ? "bridge.inbound" : "bridge.outbound";
      meters.refused(reason, "a " + name(type) + " to '" + address + "' from " + from + ": the address is not in "
        + list + " (add it there if bridge clients should reach it)");
      refuse(event, frame, FORBIDDEN, "access denied: address '" + address + "' is not in " + list);
      return;
    }
    if (type == BridgeEventType.SEND || type == BridgeEventType.PUBLISH) {
      // The door's rule goes with the message, replacing any header of that name the client wrote.
      if (headers == null) {
        headers = new JsonObject();
        frame.put("headers", headers);
      }
      headers.put(Door.HEADER, door.header());
    }
    event.complete(true);
  }

  private static void refuse(BridgeEvent event, JsonObject frame, int code, String message) {
    String replyAddress = frame.getString("replyAddress");
    if (event.type() == BridgeEventType.SEND && replyAddress != null) {
      JsonObject err = new JsonObject()
        .put("type", "err")
        .put("address", replyAddress)
        .put("sourceAddress", frame.getString("address"))
        .put("failureCode", code)
        .put("failureType", ReplyFailure.RECIPIENT_FAILURE.name())
        .put("message", message);
      Buffer json = err.toBuffer();
      event.socket().write(Buffer.buffer(4 + json.length()).appendInt(json.length()).appendBuffer(json));
    }
    event.complete(false);
  }

  private static String name(BridgeEventType type) {
    return type.name().toLowerCase(java.util.Locale.ROOT);
  }
}
