package io.steward.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Free TCP ports on loopback, so test clusters never collide with each other or with a running node. */
public final class FreePorts {

  private static final java.util.BitSet GIVEN = new java.util.BitSet(32_768);

  private FreePorts() {
  }

  /**
   * One free port, below Linux's ephemeral range (32768+). A port the OS hands out for {@code bind(0)} is an
   * ephemeral one, and until a node (a separate JVM, seconds later) binds it, any outgoing connection on the
   * machine may take it as its local port: a multi-process test then failed with "Address already in use".
   */
  public static int one() {
    return block(1);
  }

  /**
   * The first of {@code count} consecutive free ports, in a range away from Hazelcast's 5701 and below the
   * ephemeral range. A port is handed out once per JVM: the ports of a cluster are often bound only later (by
   * node processes), so a free port is not proof that nobody in this JVM has it yet.
   */
  public static synchronized int block(int count) {
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = 20_000 + ThreadLocalRandom.current().nextInt(12_000 - count);
      boolean free = true;
      for (int p = base; p < base + count && free; p++) {
        free = !GIVEN.get(p) && isFree(p);
      }
      if (free) {
        GIVEN.set(base, base + count);
        return base;
      }
    }
    throw new IllegalStateException("no block of " + count + " free ports on loopback");
  }

  private static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
