package io.steward.reliability;

import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Network namespaces joined by a Linux bridge (in a namespace of its own), one per node, so that a node can be cut off from the others (its
 * switch port set down) and joined again, a real network partition (needs root and {@code ip}; no iptables). Node
 * {@code i} (from 0) has address {@code 10.A.B.(i+1)}, the host {@code 10.A.B.254} on the bridge. Names and the
 * subnet carry a random suffix, so a stale run (or another one) cannot collide; {@link #close()} deletes everything
 * it made, whatever state it is in.
 */
public final class Netns implements AutoCloseable {

  private final String tag;
  private final String subnet;
  private final int count;
  private final List<String> made = new ArrayList<>(); // "netns NAME" or "link NAME", in creation order

  private Netns(int count) {
    int r = ThreadLocalRandom.current().nextInt(0x10000);
    this.tag = String.format("%04x", r);
    this.subnet = "10." + (100 + ThreadLocalRandom.current().nextInt(100)) + "." + ThreadLocalRandom.current().nextInt(1, 255);
    this.count = count;
  }

  /** Creates the bridge, {@code count} namespaces and their veth pairs. Fails with the reason when not root. */
  public static Netns create(int count) throws IOException, InterruptedException {
    Netns n = new Netns(count);
    try {
      n.setUp();
      return n;
    } catch (IOException | InterruptedException | RuntimeException e) {
      n.close();
      throw e;
    }
  }

  private void setUp() throws IOException, InterruptedException {
    // The bridge lives in a namespace of its own: bridged traffic goes through the namespace's netfilter hooks
    // (bridge-nf-call-iptables), and the host's may drop forwarded packets (a container runtime's FORWARD policy);
    // a fresh namespace has no rules.
    String sw = switchNamespace();
    ip("netns", "add", sw);
    made.add("netns " + sw);
    ip("-n", sw, "link", "add", "br0", "type", "bridge");
    ip("-n", sw, "link", "set", "br0", "up");
    // The host's port on the switch.
    ip("link", "add", uplink(), "type", "veth", "peer", "name", "stw" + tag + "d");
    made.add("link " + uplink());
    ip("link", "set", "stw" + tag + "d", "netns", sw);
    ip("-n", sw, "link", "set", "stw" + tag + "d", "master", "br0");
    ip("-n", sw, "link", "set", "stw" + tag + "d", "up");
    ip("addr", "add", hostAddress() + "/24", "dev", uplink());
    ip("link", "set", uplink(), "up");
    for (int i = 0; i < count; i++) {
      String ns = namespace(i);
      ip("netns", "add", ns);
      made.add("netns " + ns);
      ip("link", "add", switchPort(i), "type", "veth", "peer", "name", nodeVeth(i));
      ip("link", "set", nodeVeth(i), "netns", ns);
      ip("link", "set", switchPort(i), "netns", sw);
      ip("-n", sw, "link", "set", switchPort(i), "master", "br0");
      ip("-n", sw, "link", "set", switchPort(i), "up");
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "addr", "add", address(i) + "/24", "dev", nodeVeth(i));
      ip("-n", ns, "link", "set", nodeVeth(i), "up");
    }
  }

  public String namespace(int i) {
    return "stw-" + tag + "-" + (i + 1);
  }

  public String address(int i) {
    return subnet + "." + (i + 1);
  }

  public String hostAddress() {
    return subnet + ".254";
  }

  /** The command a node's JVM runs under. */
  public List<String> launcher(int i) {
    return List.of("ip", "netns", "exec", namespace(i));
  }

  /** The port Hazelcast binds in every namespace (each node has an address of its own). */
  public static final int HAZELCAST_PORT = 5701;

  /**
   * Starts one node of {@code cluster} in each namespace, its Hazelcast, event bus and HTTP bound to the namespace's
   * address and its members listed by those addresses (these win over the cluster's loopback defaults); waits until
   * every node is healthy and lists them all. Node {@code i} runs in namespace {@code i}.
   */
  public List<NodeProcess> startNodes(ProcessCluster cluster) throws Exception {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      all.add(address(i) + ":" + HAZELCAST_PORT);
    }
    String members = String.join(",", all);
    List<NodeProcess> nodes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String addr = address(i);
      nodes.add(cluster.add(Map.of("STEWARD_CLUSTER_MEMBERS", members, "STEWARD_CLUSTER_PORT", Integer.toString(HAZELCAST_PORT),
        "STEWARD_CLUSTER_INTERFACE", addr, "STEWARD_EVENT_BUS_HOST", addr, "STEWARD_HTTP_HOST", addr), addr, launcher(i)));
    }
    for (NodeProcess n : nodes) {
      cluster.awaitHealthy(n, 120_000);
    }
    for (NodeProcess n : nodes) {
      cluster.awaitNodeCount(n, count, 120_000);
    }
    return nodes;
  }

  /** Each node's index (node {@code i+1} is {@code i}) by its Vert.x node id, from {@code node}'s {@code /nodes}. */
  public static Map<String, Integer> indexById(NodeProcess node) {
    Map<String, Integer> indexById = new HashMap<>();
    JsonArray listed = node.get("/nodes").json().getJsonArray("nodes");
    for (int k = 0; k < listed.size(); k++) {
      JsonObject o = listed.getJsonObject(k);
      indexById.put(o.getString("id"), Integer.parseInt(o.getString("name").substring("node".length())) - 1);
    }
    return indexById;
  }

  /** Cuts node {@code i} off from the others and from the host. */
  public void cut(int i) throws IOException, InterruptedException {
    ip("-n", switchNamespace(), "link", "set", switchPort(i), "down");
  }

  public void heal(int i) throws IOException, InterruptedException {
    ip("-n", switchNamespace(), "link", "set", switchPort(i), "up");
  }

  /** An HTTP request made from inside node {@code i}'s namespace (it reaches that node even when cut off). */
  public Http curl(int i, String method, String url, String json) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace(i), "curl", "-s", "-m", "10", "-X", method,
      "-w", "\n%{http_code}"));
    if (json != null) {
      cmd.addAll(List.of("-H", "content-type: application/json", "--data", json));
    }
    cmd.add(url);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(20, TimeUnit.SECONDS);
    int nl = out.lastIndexOf('\n');
    int status;
    try {
      status = Integer.parseInt(out.substring(nl + 1).trim());
    } catch (NumberFormatException e) {
      status = -1;
    }
    return new Http(status == 0 ? -1 : status, nl < 0 ? out : out.substring(0, nl));
  }

  public record Http(int status, String body) {
  }

  private String switchNamespace() {
    return "stw-" + tag + "-sw";
  }

  private String uplink() {
    return "stw" + tag + "u";
  }

  private String switchPort(int i) {
    return "stw" + tag + "h" + (i + 1);
  }

  private String nodeVeth(int i) {
    return "stw" + tag + "n" + (i + 1);
  }

  private static void ip(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("ip");
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out.strip()
        + " (the partition scenario needs root and iproute2: network namespaces, veth pairs and a bridge)");
    }
  }

  /** Deletes what {@link #create} made, newest first, going on past failures. */
  /**
   * Node {@code i} stops reaching node {@code j} (and only it): {@code i}'s neighbour entry for {@code j}'s address
   * names a MAC nobody has, so its packets to {@code j} are dropped silently on the bridge, as on a broken link, while
   * both still reach the host and every other node. Block both directions for a symmetric cut; {@link #unblock}.
   * (Made for the fault campaign: the kernel here has no {@code tc} qdiscs for filters or netem, and no iptables.)
   */
  public void block(int i, int j) throws IOException, InterruptedException {
    ip("-n", namespace(i), "neigh", "replace", address(j), "lladdr", "02:00:5e:00:00:" + String.format("%02x", j + 1),
      "nud", "permanent", "dev", nodeVeth(i));
  }

  /** Undoes {@link #block}: {@code i} finds {@code j} by ARP again. */
  public void unblock(int i, int j) throws IOException, InterruptedException {
    ip("-n", namespace(i), "neigh", "del", address(j), "dev", nodeVeth(i));
  }

  /**
   * {@code tc netem} on node {@code i}'s links, both ways: on its own veth (what it sends) and on its port of the
   * switch (what it receives), e.g. {@code delay 200ms 50ms loss 10%}. Replaces any netem already there.
   * Fails with tc's message when the kernel has no {@code sch_netem} ("Specified qdisc kind is unknown").
   */
  public void netem(int i, List<String> args) throws IOException, InterruptedException {
    List<String> own = new ArrayList<>(List.of("-n", namespace(i), "qdisc", "replace", "dev", nodeVeth(i), "root", "netem"));
    own.addAll(args);
    tc(own);
    List<String> port = new ArrayList<>(List.of("-n", switchNamespace(), "qdisc", "replace", "dev", switchPort(i), "root", "netem"));
    port.addAll(args);
    tc(port);
  }

  /** Undoes {@link #netem}; goes on past a link that has none. */
  public void clearNetem(int i) throws IOException, InterruptedException {
    IOException first = null;
    for (List<String> cmd : List.of(List.of("-n", namespace(i), "qdisc", "del", "dev", nodeVeth(i), "root"),
        List.of("-n", switchNamespace(), "qdisc", "del", "dev", switchPort(i), "root"))) {
      try {
        tc(cmd);
      } catch (IOException e) {
        if (first == null && !e.getMessage().contains("No such file or directory")
            && !e.getMessage().contains("Cannot delete qdisc with handle of zero")) {
          first = e;
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  private static void tc(List<String> args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("tc");
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
    }
  }

  @Override
  public void close() {
    for (int k = made.size() - 1; k >= 0; k--) {
      String[] what = made.get(k).split(" ", 2);
      try {
        if (what[0].equals("netns")) {
          ip("netns", "del", what[1]);
        } else {
          ip("link", "del", what[1]);
        }
      } catch (IOException e) {
        System.out.println("(cleanup: " + e.getMessage() + ")");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    made.clear();
  }
}
