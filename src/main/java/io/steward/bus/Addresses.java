package io.steward.bus;

/**
 * Every event-bus address Steward answers on, in one place: {@code steward.<module>.<verb>}, events on
 * {@code steward.<module>.events}, and per-node addresses {@code steward.node.<nodeId>.<verb>}.
 * Tests and other Java services use these constants; non-JVM services use the strings (docs/reference.md).
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

  /** Supervised tasks (docs/tasks.md). */
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
    /** {@code {supervisor}}: nothing of it starts, cluster-wide, until resumed; submits are still queued. */
    public static final String PAUSE = "steward.tasks.pause";
    /** {@code {supervisor}}: its queue starts again, in order. */
    public static final String RESUME = "steward.tasks.resume";
    /** {@code {}}: this node's supervisors (configuration, load, paused). */
    public static final String SUPERVISORS = "steward.tasks.supervisors";
    /** Lifecycle events, published in batches: {@code {node, events: [...], dropped}}. */
    public static final String EVENTS = "steward.tasks.events";
    /** Per-node verbs (see {@link Addresses#node}): the node that owns a task answers for it. */
    public static final String NODE_GET = "tasks.get";
    public static final String NODE_AWAIT = "tasks.await";
    public static final String NODE_CANCEL = "tasks.cancel";
    public static final String NODE_LIST = "tasks.list";
    /** {@code {supervisor?}}: that node's supervisors, after it has read the named one's pause state again. */
    public static final String NODE_SUPERVISORS = "tasks.supervisors";

    private Tasks() {
    }
  }

  /** Fan-out / fan-in: scatter requests over the bus and aggregate the replies. */
  public static final class Fanout {
    public static final String RUN = "steward.fanout.run";
    public static final String GATHER = "steward.fanout.gather";

    private Fanout() {
    }
  }

  /** The clustered cache on Hazelcast maps (docs/cache.md). Bodies name the cache in {@code cache}. */
  public static final class Cache {
    public static final String GET = "steward.cache.get";
    public static final String GET_ALL = "steward.cache.getAll";
    public static final String PUT = "steward.cache.put";
    public static final String PUT_ALL = "steward.cache.putAll";
    public static final String PUT_IF_ABSENT = "steward.cache.putIfAbsent";
    public static final String REPLACE = "steward.cache.replace";
    public static final String DELETE = "steward.cache.delete";
    public static final String TOUCH = "steward.cache.touch";
    public static final String CLEAR = "steward.cache.clear";
    public static final String SIZE = "steward.cache.size";
    public static final String STATS = "steward.cache.stats";
    public static final String UPDATE = "steward.cache.update";
    public static final String GET_OR_COMPUTE = "steward.cache.getOrCompute";
    public static final String CREATE = "steward.cache.create";
    public static final String LIST = "steward.cache.list";
    public static final String EVENTS = "steward.cache.events";
    /** Per-node verbs: this node's share of a cache's statistics; a computation another node waited for ended. */
    public static final String NODE_STATS = "cache.stats";
    public static final String NODE_COMPUTED = "cache.computed";

    private Cache() {
    }
  }

  /** The schedule module: interval and cron jobs, once per cluster per tick (docs/schedule.md). */
  public static final class Schedule {
    public static final String PUT = "steward.schedule.put";
    public static final String GET = "steward.schedule.get";
    public static final String LIST = "steward.schedule.list";
    public static final String DELETE = "steward.schedule.delete";
    public static final String PAUSE = "steward.schedule.pause";
    public static final String RESUME = "steward.schedule.resume";
    public static final String TRIGGER = "steward.schedule.trigger";
    public static final String HISTORY = "steward.schedule.history";
    public static final String EVENTS = "steward.schedule.events";
    /** Per-node verb ({@link Addresses#node}): the deleting node tells each schedule node to drop a deleted job. */
    public static final String NODE_FORGET = "schedule.forget";

    private Schedule() {
    }
  }

  /** Workflows: steps with dependencies, each run as durable tasks (docs/workflows.md). */
  public static final class Workflows {
    /** {@code {name, input?, steps: [...]}}: answered {@code {id, name}} once the workflow is recorded. */
    public static final String SUBMIT = "steward.workflows.submit";
    /** {@code {id}}: the workflow with each step's state, tasks, results and timings. */
    public static final String GET = "steward.workflows.get";
    /** {@code {state?, name?, limit?}}: workflows, newest first. */
    public static final String LIST = "steward.workflows.list";
    /** {@code {id}}: cancels a running workflow and its running step tasks. */
    public static final String CANCEL = "steward.workflows.cancel";
    /** {@code {id}}: runs a failed or cancelled workflow's unfinished steps again, keeping succeeded results. */
    public static final String RETRY = "steward.workflows.retry";
    /** {@code {node, events: [{event, id, name, step?, at, …}]}}. */
    public static final String EVENTS = "steward.workflows.events";

    private Workflows() {
    }
  }
}
