package io.steward.spi;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.Vertx;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The cluster a module runs in: this node's id and the Hazelcast instance behind the Vert.x cluster
 * manager. Modules keep their state in Hazelcast structures named {@code steward.<module>.*}.
 */
public final class Cluster {

  private Cluster() {
  }

  /** The member attribute in which vertx-hazelcast 5 keeps a member's Vert.x node id. */
  public static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";

  /**
   * This node's Vert.x node id, as used in {@link io.steward.bus.Addresses#node}. Not the Hazelcast member UUID: Vert.x 5
   * gives each node its own id and stores it as a member attribute (see {@link #nodeIdOf(Member)}).
   */
  public static String nodeId(Vertx vertx) {
    return manager(vertx).getNodeId();
  }

  /** The Vert.x node id of a Hazelcast member, or null for a member that is not a Vert.x node. */
  public static String nodeIdOf(Member member) {
    return member.getAttribute(NODE_ID_ATTRIBUTE);
  }

  /**
   * A request to an address that every node of a module answers alike, sent to this node's own consumer when it has
   * one, else (at once, {@code NO_HANDLERS}) to any node's as a plain request. The event bus takes a cluster-wide
   * address's consumers in turn, and for a moment after a node dies its consumer is still among them: a request sent
   * there waits its whole timeout (NodeProcessIT: {@code GET /nodes} 10 s after a kill; the workflow engine's step
   * lookups, StepLookupTest). Asking here first also saves a hop.
   */
  public static <T> Future<Message<T>> requestHereFirst(Vertx vertx, String address, Object body, DeliveryOptions options) {
    return vertx.eventBus().<T>request(address, body, new DeliveryOptions(options).setLocalOnly(true))
      .recover(err -> err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS
        ? vertx.eventBus().<T>request(address, body, options) : Future.failedFuture(err));
  }

  /** The node ids of the Vert.x nodes that are cluster members now. */
  public static Set<String> liveNodeIds(Vertx vertx) {
    Set<String> ids = new HashSet<>();
    for (Member m : hazelcast(vertx).getCluster().getMembers()) {
      String id = nodeIdOf(m);
      if (id != null) {
        ids.add(id);
      }
    }
    return ids;
  }

  /**
   * Calls {@code onLeft} on {@code context} with the Vert.x node id of each Vert.x node that leaves the cluster
   * (a member that is no Vert.x node is ignored); the one "a member left" listener of the modules. Close the
   * returned listening when the module stops.
   */
  public static Listening onNodeLeft(HazelcastInstance hz, Context context, Consumer<String> onLeft) {
    UUID id = hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        // nothing to do: a new member takes partitions, Hazelcast moves the entries
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        String node = nodeIdOf(event.getMember());
        if (node != null) {
          context.runOnContext(v -> onLeft.accept(node));
        }
      }
    });
    return new Listening(hz, id);
  }

  /** A membership listener of {@link #onNodeLeft}. */
  public record Listening(HazelcastInstance hz, UUID id) {
    /** Stops listening; nothing to do once Hazelcast is shut down (it dropped its listeners). */
    public void close() {
      if (hz.getLifecycleService().isRunning()) {
        hz.getCluster().removeMembershipListener(id);
      }
    }
  }

  public static HazelcastInstance hazelcast(Vertx vertx) {
    ClusterManager cm = manager(vertx);
    if (cm instanceof HazelcastClusterManager hz) {
      return hz.getHazelcastInstance();
    }
    throw new IllegalStateException("Steward needs the Hazelcast cluster manager, found " + cm.getClass().getName());
  }

  private static ClusterManager manager(Vertx vertx) {
    ClusterManager cm = vertx.isClustered() ? VertxInternals.clusterManager(vertx) : null;
    if (cm == null) {
      throw new IllegalStateException("Steward modules need a clustered Vert.x (Vertx.builder().buildClustered())");
    }
    return cm;
  }
}
