package io.steward.testing;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Listens to an address from outside the cluster: one TCP bridge connection per node given, each registered to
 * the address, each read by its own daemon thread that hands every frame to a {@link Reader}. A read that times out
 * (a paused node says nothing for a while) is waited out; a closed connection ends its thread. No lite member: the
 * observers do not change the cluster's size. Base of {@link BridgeFires} and of tests that answer what they receive.
 */
public final class BridgeTap implements AutoCloseable {

  /** What a test does with each frame connection {@code connection} (its index in the nodes given) receives. */
  @FunctionalInterface
  public interface Reader {
    void frame(int connection, FramedClient client, JsonObject frame);
  }

  private final List<FramedClient> clients = new ArrayList<>();
  private volatile boolean closed;

  private BridgeTap() {
  }

  /** Connects to each node's bridge and registers for {@code address}; returns once every registration is sent. */
  public static BridgeTap listen(List<NodeProcess> nodes, String address, Reader reader) throws IOException {
    BridgeTap tap = new BridgeTap();
    for (int i = 0; i < nodes.size(); i++) {
      FramedClient c = new FramedClient("tcp://127.0.0.1:" + bridgePort(nodes.get(i)));
      c.send(new JsonObject().put("type", "register").put("address", address));
      tap.clients.add(c);
      int index = i;
      Thread t = new Thread(() -> tap.read(index, c, reader), "bridge-tap-" + nodes.get(i).name());
      t.setDaemon(true);
      t.start();
    }
    return tap;
  }

  /** The TCP bridge port {@code node} lists for itself in {@code GET /nodes}. */
  public static int bridgePort(NodeProcess node) {
    for (Object o : node.get("/nodes").json().getJsonArray("nodes")) {
      JsonObject n = (JsonObject) o;
      if (n.getString("name").equals(node.name())) {
        return URI.create(n.getJsonObject("endpoints").getString("bridge")).getPort();
      }
    }
    throw new IllegalStateException(node.name() + " does not list its TCP bridge in /nodes");
  }

  private void read(int index, FramedClient c, Reader reader) {
    while (!closed) {
      JsonObject frame;
      try {
        frame = c.read();
      } catch (SocketTimeoutException e) {
        continue;
      } catch (IOException e) {
        if (!closed) {
          System.out.println("bridge connection " + index + " closed: " + e);
        }
        return;
      } catch (RuntimeException e) {
        System.out.println("bridge connection " + index + " sent an unreadable frame: " + e);
        continue;
      }
      reader.frame(index, c, frame);
    }
  }

  @Override
  public void close() {
    closed = true;
    for (FramedClient c : clients) {
      try {
        c.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }
}
