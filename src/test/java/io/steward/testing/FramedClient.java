package io.steward.testing;

import io.vertx.core.json.JsonObject;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLContext;

/**
 * A TCP event-bus bridge client speaking the wire protocol by hand: each frame is a 4-byte big-endian
 * length and that many bytes of UTF-8 JSON, over TCP or TLS. Blocking, for tests; every read gives up
 * after 15 s. Used by the bridge tests and the reliability suite's bad-input scenario.
 */
public final class FramedClient implements AutoCloseable {

  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;

  public FramedClient(String url) throws IOException {
    this(url, null);
  }

  /** {@code tls://} URLs need {@code tls}, the client's TLS context. */
  public FramedClient(String url, SSLContext tls) throws IOException {
    URI uri = URI.create(url);
    socket = uri.getScheme().equals("tls") ? tls.getSocketFactory().createSocket() : new Socket();
    socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 10_000);
    socket.setSoTimeout(15_000);
    in = new DataInputStream(socket.getInputStream());
    out = new DataOutputStream(socket.getOutputStream());
  }

  public FramedClient send(JsonObject frame) throws IOException {
    return sendText(frame.encode());
  }

  public FramedClient sendText(String text) throws IOException {
    return sendBytes(text.getBytes(StandardCharsets.UTF_8));
  }

  /** A frame of any bytes (not necessarily UTF-8, not necessarily JSON). */
  public FramedClient sendBytes(byte[] bytes) throws IOException {
    out.writeInt(bytes.length);
    out.write(bytes);
    out.flush();
    return this;
  }

  /** Just a length prefix, as a client announcing a frame it never sends. */
  public FramedClient sendHeader(long length) throws IOException {
    out.writeInt((int) length);
    out.flush();
    return this;
  }

  public JsonObject read() throws IOException {
    int length = in.readInt();
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    return new JsonObject(new String(bytes, StandardCharsets.UTF_8));
  }

  /** True when the server has closed the connection (end of stream or reset) before sending anything more. */
  public boolean closedByServer() throws IOException {
    try {
      return in.read() < 0;
    } catch (EOFException | SocketException e) {
      return true;
    }
  }

  public static JsonObject request(String address, Object body, String token, String replyAddress) {
    JsonObject frame = new JsonObject().put("type", "send").put("address", address).put("body", body)
      .put("replyAddress", replyAddress);
    if (token != null) {
      frame.put("headers", new JsonObject().put("token", token));
    }
    return frame;
  }

  public static JsonObject frame(String type, String address, String token) {
    JsonObject frame = new JsonObject().put("type", type).put("address", address);
    if (token != null) {
      frame.put("headers", new JsonObject().put("token", token));
    }
    return frame;
  }

  /** Closes with SO_LINGER 0: the peer gets a TCP reset ("Connection reset by peer"), not a clean close. */
  public void reset() throws IOException {
    socket.setSoLinger(true, 0);
    socket.close();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
