package io.steward.tasks;

import java.util.Collection;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Task ids: the first 12 hex digits of the node id that accepted the task, a dash, and a per-node counter
 * ({@code 3f2a9c81b0d4-47}). Cheap to make (no random numbers on the submit path), unique across the
 * cluster (node ids are random UUIDs, new at every start), and they say which node to ask about a task.
 */
final class TaskIds {

  static final int PREFIX_HEX = 12;

  /**
   * Each node's counter, kept for the life of the JVM: a tasks module started again on the same node (a start retried
   * after a moving partition, campaign seed 1004) goes on counting instead of making its first ids again.
   */
  private static final java.util.concurrent.ConcurrentHashMap<String, AtomicLong> COUNTERS =
    new java.util.concurrent.ConcurrentHashMap<>();

  private final String prefix;
  private final AtomicLong counter;

  /** A counter of its own, from 1 (tests of the id format). */
  TaskIds(String nodeId) {
    this(nodeId, new AtomicLong());
  }

  private TaskIds(String nodeId, AtomicLong counter) {
    this.prefix = prefixOf(nodeId) + "-";
    this.counter = counter;
  }

  /** The node's ids, going on from wherever an earlier start of the tasks module on this node left them. */
  static TaskIds forNode(String nodeId) {
    return new TaskIds(nodeId, COUNTERS.computeIfAbsent(nodeId, n -> new AtomicLong()));
  }

  String next() {
    return prefix + nextSeq();
  }

  /** The next counter value: a task's id is {@link #prefix()} + it, made only when someone asks for it. */
  long nextSeq() {
    return counter.incrementAndGet();
  }

  /** The counter part of an id this node made, or -1 for another node's id (or no id of ours). */
  long seqOf(String id) {
    if (!id.startsWith(prefix) || id.length() == prefix.length() || id.length() > prefix.length() + 18) {
      return -1;
    }
    long n = 0;
    for (int i = prefix.length(); i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }

  /** The id's node part plus its dash. */
  String prefix() {
    return prefix;
  }

  static String prefixOf(String nodeId) {
    String hex = nodeId.replace("-", "");
    return hex.substring(0, Math.min(PREFIX_HEX, hex.length()));
  }

  /** The node among {@code nodes} that accepted the task with this id, or null. */
  static String origin(String id, Collection<String> nodes) {
    int dash = id.indexOf('-');
    if (dash != PREFIX_HEX) {
      return null;
    }
    String p = id.substring(0, dash);
    for (String n : nodes) {
      if (prefixOf(n).equals(p)) {
        return n;
      }
    }
    return null;
  }
}
