package io.steward.edge;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Scope;
import io.steward.bus.Door;
import io.steward.observe.Tracing;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides every SockJS bridge event on its own, whatever the library would do:
 * <ul>
 *   <li>SOCKET_CREATED: the connection carries a valid token (when {@code http.tokens} are set; the HTTP
 *       layer has checked it already, this is the second lock) and fewer than
 *       {@code http.bridgeMaxConnections} are open;</li>
 *   <li>SEND, PUBLISH: the address is in {@code http.bridgeInbound} (see {@link BridgePermissions#refusal}
 *       for replies);</li>
 *   <li>REGISTER, UNREGISTER: the address is in {@code http.bridgeOutbound};</li>
 *   <li>RECEIVE (every message on its way to a client): the address is in {@code http.bridgeOutbound}, or it
 *       is the reply address of a request this client sent.</li>
 * </ul>
 * A SEND or PUBLISH that passes carries the bridge's {@link Door} header (a client's own header of that name is
 * overwritten), so the modules check the addresses a body names against {@code http.bridgeInbound} and
 * {@code http.bridgeTargets}. A refused frame gets the library's {@code {"type":"err","body":"rejected"}}; a refused request (a send
 * with a {@code replyAddress}) is first failed on its reply address with code 401 or 403 and a message
 * saying why, so the client's callback fails at once instead of timing out; a refused registration is failed
 * the same way on the address itself, so the client's handlers for it learn why they will hear nothing (the
 * dashboard says which event address is missing from {@code http.bridgeOutbound}).
 */
public final class SockJsBridgeEvents implements Handler<BridgeEvent> {

  static final int FORBIDDEN = 403;
  /** Reply addresses remembered per connection; the library caps pending requests per socket lower (1000). */
  private static final int MAX_PENDING_REPLIES = 1_000;

  private final Tokens tokens;
  private final BridgePermissions permissions;
  private final Door door;
  private final int maxConnections;
  private final BridgeMeters meters;
  /** Per open connection: the reply addresses of its requests still waiting for an answer. */
  private final Map<SockJSSocket, Set<String>> pendingReplies = new ConcurrentHashMap<>();
  /** The node's OpenTelemetry (docs/tracing.md), or null when tracing is off. */
  private final OpenTelemetry otel;

  public SockJsBridgeEvents(Tokens tokens, BridgePermissions permissions, Door door, int maxConnections, BridgeMeters meters) {
    this(tokens, permissions, door, maxConnections, meters, null);
  }

  public SockJsBridgeEvents(Tokens tokens, BridgePermissions permissions, Door door, int maxConnections, BridgeMeters meters,
                            OpenTelemetry otel) {
    this.otel = otel;
    this.tokens = tokens;
    this.permissions = permissions;
    this.door = door;
    this.maxConnections = maxConnections;
    this.meters = meters;
  }

  @Override
  public void handle(BridgeEvent event) {
    closeJoined(null); // the previous frame's send has been made
    SockJSSocket socket = event.socket();
    switch (event.type()) {
      case SOCKET_CREATED -> event.complete(opened(socket));
      case SOCKET_CLOSED -> {
        if (pendingReplies.remove(socket) != null) {
          meters.closed();
        }
        event.complete(true);
      }
      case SEND, PUBLISH, REGISTER, UNREGISTER, RECEIVE -> check(event, socket);
      case SOCKET_ERROR -> {
        // The library has dropped this connection's state (a message over http.bodyLimitBytes, a reset) but
        // leaves it open and says nothing: tell the client why, and close it.
        event.complete(true);
        if (event.getRawMessage() != null) {
          socket.write(Buffer.buffer(event.getRawMessage().encode()));
        }
        socket.close();
      }
      default -> event.complete(true);
    }
  }

  private boolean opened(SockJSSocket socket) {
    String presented = Tokens.bearer(socket.headers().get("Authorization"));
    if (presented == null) {
      List<String> query = new QueryStringDecoder(socket.uri()).parameters().get("token");
      presented = query == null || query.isEmpty() ? null : query.get(0);
    }
    if (!tokens.accepts(presented)) {
      meters.refused(BridgeMeters.TOKEN, "a connection from " + socket.remoteAddress() + " with "
        + (presented == null ? "no token" : "an invalid token") + " (pass one of http.tokens as ?token= or a Bearer header)");
      return false;
    }
    if (!meters.tryOpen(maxConnections)) {
      meters.refused(BridgeMeters.CONNECTION_LIMIT, "a connection from " + socket.remoteAddress() + ": "
        + maxConnections + " are open already (http.bridgeMaxConnections)");
      return false;
    }
    pendingReplies.put(socket, boundedSet());
    return true;
  }

  private void check(BridgeEvent event, SockJSSocket socket) {
    JsonObject frame = event.getRawMessage() == null ? new JsonObject() : event.getRawMessage();
    String problem = problem(frame);
    if (problem != null) {
      // The library would throw on these while handling the frame, and the client would hear nothing.
      meters.refused(BridgeMeters.MALFORMED_FRAME, "a malformed frame on a connection from " + socket.remoteAddress()
        + ": " + problem + " (fix the client)");
      event.complete(false);
      return;
    }
    String address = frame.getString("address");
    if (frame.getValue("headers") instanceof JsonObject headers && event.type() != BridgeEventType.RECEIVE) {
      headers.remove("token"); // a client that sends its token per frame too: it never goes on the bus
    }
    Set<String> pending = pendingReplies.get(socket);
    if (event.type() == BridgeEventType.RECEIVE && pending != null && address != null && pending.remove(address)) {
      event.complete(true);
      return;
    }
    String reason = permissions.refusal(event.type(), address);
    if (reason != null) {
      String list = reason.equals(BridgeMeters.INBOUND) ? "http.bridgeInbound" : "http.bridgeOutbound";
      meters.refused(reason, "a " + event.type().name().toLowerCase(java.util.Locale.ROOT) + " to '" + address
        + "' on a connection from " + socket.remoteAddress() + ": the address is not in " + list
        + " (add it there if bridge clients should reach it)");
      failRequest(event, socket, frame, "access denied: address '" + address + "' is not in " + list);
      event.complete(false);
      return;
    }
    String replyAddress = frame.getString("replyAddress");
    if (event.type() == BridgeEventType.SEND && replyAddress != null && pending != null) {
      pending.add(replyAddress);
    }
    if (event.type() == BridgeEventType.SEND || event.type() == BridgeEventType.PUBLISH) {
      // The door's rule goes with the message, replacing any header of that name the client wrote.
      JsonObject headers = frame.getJsonObject("headers");
      if (headers == null) {
        headers = new JsonObject();
        frame.put("headers", headers);
      }
      headers.put(Door.HEADER, door.header());
      joinCaller(headers);
    }
    event.complete(true);
  }

  /**
   * A {@code traceparent} in the frame makes the caller's span the parent of the bridge's send (docs/tracing.md),
   * instead of whatever the connection's context holds: the span of the HTTP POST that carried the frame (xhr
   * transports), which would start a trace of its own. The library sends right after {@link #handle} returns
   * (it listens to the event's future only then), so the scope stays open past it: it is closed by the next bridge
   * event on this thread (frames of one read are handled in a row), or by the context's next task.
   */
  private void joinCaller(JsonObject headers) {
    io.vertx.core.Context context = Vertx.currentContext();
    Scope scope = context == null ? Scope.noop() : Tracing.joinCaller(otel, headers);
    if (scope == Scope.noop()) {
      return;
    }
    Scope once = new Scope() {
      private boolean closed;

      @Override
      public void close() {
        if (!closed) {
          closed = true;
          scope.close();
        }
      }
    };
    JOINED.set(once);
    context.runOnContext(v -> closeJoined(once));
  }

  /** The caller's trace context made current for the send that follows the last SEND or PUBLISH on this thread. */
  private static final ThreadLocal<Scope> JOINED = new ThreadLocal<>();

  /** Closes {@code which} (null: whichever is open on this thread). */
  private static void closeJoined(Scope which) {
    Scope open = JOINED.get();
    if (open != null && (which == null || which == open)) {
      JOINED.remove();
    }
    if (which != null) {
      which.close();
    } else if (open != null) {
      open.close();
    }
  }

  private static String problem(JsonObject frame) {
    for (String field : new String[] {"address", "replyAddress"}) {
      Object v = frame.getValue(field);
      if (v != null && !(v instanceof String)) {
        return field + ": must be a string";
      }
    }
    Object headers = frame.getValue("headers");
    return headers == null || headers instanceof JsonObject ? null : "headers: must be a JSON object";
  }

  /** At most {@link #MAX_PENDING_REPLIES}, the oldest forgotten first (a request whose answer never came). */
  private static Set<String> boundedSet() {
    return Collections.newSetFromMap(Collections.synchronizedMap(new LinkedHashMap<>() {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
        return size() > MAX_PENDING_REPLIES;
      }
    }));
  }

  /**
   * A refused request fails on its reply address, as the library answers a failed request; a refused
   * registration fails on its address, where the official client hands the error to that address's handlers.
   */
  private static void failRequest(BridgeEvent event, SockJSSocket socket, JsonObject frame, String message) {
    String replyAddress = frame.getString("replyAddress");
    String failed = event.type() == BridgeEventType.SEND ? replyAddress
      : event.type() == BridgeEventType.REGISTER ? frame.getString("address") : null;
    if (failed != null) {
      socket.write(Buffer.buffer(new JsonObject()
        .put("type", "err")
        .put("address", failed)
        .put("failureCode", FORBIDDEN)
        .put("failureType", ReplyFailure.RECIPIENT_FAILURE.name())
        .put("message", message)
        .encode()));
    }
  }
}
