package io.steward.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on loopback in front of a server (the tests' PostgreSQL), which a test can cut — every connection
 * reset, new ones refused, as when the database host goes away — and restore on the same port. Plain threads:
 * a handful of database connections.
 */
public final class TcpProxy implements AutoCloseable {

  private final InetAddress bindAddress;
  private final String targetHost;
  private final int targetPort;
  private final int port;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile ServerSocket server;

  public TcpProxy(String targetHost, int targetPort) throws IOException {
    this(InetAddress.getLoopbackAddress(), targetHost, targetPort);
  }

  /** A proxy listening on {@code bindAddress} (e.g. the host's address on a test network of namespaces). */
  public TcpProxy(InetAddress bindAddress, String targetHost, int targetPort) throws IOException {
    this.bindAddress = bindAddress;
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.port = FreePorts.one();
    open();
  }

  public int port() {
    return port;
  }

  /** Resets every connection and refuses new ones until {@link #restore()}. */
  public synchronized void cut() {
    ServerSocket s = server;
    server = null;
    if (s != null) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    for (Socket socket : sockets) {
      try {
        socket.setSoLinger(true, 0); // a reset, as when the host disappears
        socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    sockets.clear();
  }

  /** Accepts connections again, on the same port. */
  public synchronized void restore() throws IOException {
    if (server == null) {
      open();
    }
  }

  private void open() throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(bindAddress, port));
    server = s;
    Thread t = new Thread(() -> accept(s), "tcp-proxy-" + port);
    t.setDaemon(true);
    t.start();
  }

  private void accept(ServerSocket s) {
    while (!s.isClosed()) {
      try {
        Socket client = s.accept();
        Socket upstream = new Socket(targetHost, targetPort);
        sockets.add(client);
        sockets.add(upstream);
        if (server != s) { // cut meanwhile
          client.close();
          upstream.close();
          continue;
        }
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        // closed, or the target refused: the client sees its connection close
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException ignored) {
        // one side closed
      } finally {
        close(from);
        close(to);
      }
    }, "tcp-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private void close(Socket s) {
    sockets.remove(s);
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    cut();
  }
}
