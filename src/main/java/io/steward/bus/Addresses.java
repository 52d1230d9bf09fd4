package io.steward.bus;

/**
 * Every event-bus address Steward answers on, in one place: {@code steward.<module>.<verb>}, events on
 * {@code steward.<module>.events}, and per-node addresses {@code steward.node.<nodeId>.<verb>}.
 * Tests and other Java services use these constants; non-JVM services use the strings (README).
 */
public final class Addresses {

  public static final String PREFIX = "steward.";

  private Addresses() {
  }

  /** The address of one node's verb, e.g. {@code steward.node.3f2a….info}. */
  public static String node(String nodeId, String verb) {
    return PREFIX + "node." + nodeId + "." + verb;
  }

  /**
   * The optional per-node health address of a module: a module that has more to say than "deployed"
   * (a database it depends on, a queue that is full) answers here with {@code {status: "UP"|"DOWN", …}}.
   */
  public static String moduleHealth(String nodeId, String module) {
    return node(nodeId, Nodes.HEALTH + "." + module);
  }

  /** Cluster membership, answered by every node. */
  public static final class Nodes {
    public static final String LIST = "steward.nodes.list";
    public static final String EVENTS = "steward.nodes.events";
    /** Per-node verbs, see {@link Addresses#node(String, String)}. */
    public static final String INFO = "info";
    public static final String HEALTH = "health";

    private Nodes() {
    }
  }

  /** Supervised tasks (README, Tasks). */
  public static final class Tasks {
    /** {@code send}: fire-and-forget; {@code request}: answered {@code {id}} once accepted. */
    public static final String SUBMIT = "steward.tasks.submit";
    /** Answered when the task ends, with its result or its final error. */
    public static final String RUN = "steward.tasks.run";
    /** {@code {id, timeoutMs}}: like run, for a task already submitted. */
    public static final String AWAIT = "steward.tasks.await";
    public static final String GET = "steward.tasks.get";
    public static final String LIST = "steward.tasks.list";
    public static final String CANCEL = "steward.tasks.cancel";
    public static final String DEADLETTERS = "steward.tasks.deadletters";
    /** Lifecycle events, published in batches: {@code {node, events: [...], dropped}}. */
    public static final String EVENTS = "steward.tasks.events";
    /** Per-node verbs (see {@link Addresses#node}): the node that owns a task answers for it. */
    public static final String NODE_GET = "tasks.get";
    public static final String NODE_AWAIT = "tasks.await";
    public static final String NODE_CANCEL = "tasks.cancel";
    public static final String NODE_LIST = "tasks.list";

    private Tasks() {
    }
  }
}
