package io.steward.client;

import java.util.List;

/**
 * {@code steward.tasks.list}: the tasks that matched, newest first, from every node; {@code total} matched in
 * all; {@code incomplete} when a node did not answer in time.
 */
public record TaskList(int count, int total, boolean incomplete, List<Task> tasks) {

  /** Which tasks {@link Tasks#list(Filter)} returns; null fields match anything. */
  public record Filter(String state, String type, String supervisor, int limit) {

    public static Filter all() {
      return new Filter(null, null, null, 100);
    }

    public Filter state(String s) {
      return new Filter(s, type, supervisor, limit);
    }

    public Filter type(String t) {
      return new Filter(state, t, supervisor, limit);
    }

    public Filter supervisor(String s) {
      return new Filter(state, type, s, limit);
    }

    public Filter limit(int l) {
      return new Filter(state, type, supervisor, l);
    }
  }
}
