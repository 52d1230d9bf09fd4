package io.steward.schedule;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * When a raised schedule fence may come down ({@link Fence}); pure, so tests drive it with made-up answers.
 *
 * <p>A node that stalled cannot tell from its own view whether the others removed it meanwhile, and neither can a
 * peer that stalled with it (two nodes of four paused together see each other as before and agree). So the fence
 * comes down only on one of these:
 * <ol>
 *   <li><b>a witness</b>: a peer that sees exactly this node's members, is not in the middle of a merge, and was
 *   not itself stalled at any time during this node's stall (its stall, if any, ended more than {@link #MARGIN_MS}
 *   before this one began or began after it ended, by the cluster clock both nodes read);</li>
 *   <li><b>nobody left</b>: every peer this node sees answers with exactly its members, none is merging, and those
 *   members include every member it saw before the stall (the whole group stalled together, as in a suspended
 *   host, and nobody was removed), or its successor: a member at the same address with a new member UUID, which
 *   Hazelcast gives a member that merged back after a split brain (so nobody who could have taken this node's jobs
 *   over is outside its cluster now);</li>
 *   <li><b>no merge came</b>: {@code aloneMs} after the fence went up (or after the latest stall since then that was
 *   long enough to have got this node removed: {@link #restartsAloneWait}), every peer answers with exactly its members
 *   (the group that stalled carries on as the survivors: the others are gone, or the merge takes longer than
 *   {@code aloneMs}, in which case both sides fire until it comes).</li>
 * </ol>
 */
final class FenceRule {

  /** Cluster clocks of two nodes may differ by this much (a heartbeat's transit) and still count a stall as overlapping. */
  static final long MARGIN_MS = 1_000;

  private FenceRule() {
  }

  /** A peer's answer to the probe: its members, its latest stall (0, 0 if none) and whether it is merging. */
  record Answer(String peer, Set<String> members, long stallStart, long stallEnd, boolean merging) {

    /** Parses {@code members|stallStart|stallEnd|merging}; an older node answers only the members. */
    static Answer parse(String peer, String text) {
      String[] parts = text.split("\\|", -1);
      Set<String> members = Set.of(parts[0].split(","));
      if (parts.length < 4) {
        // A node that does not report its stalls cannot be a witness: treat it as stalled all along.
        return new Answer(peer, members, 0, Long.MAX_VALUE, false);
      }
      return new Answer(peer, members, Long.parseLong(parts[1]), Long.parseLong(parts[2]), "1".equals(parts[3]));
    }

    static String encode(String members, long stallStart, long stallEnd, boolean merging) {
      return members + "|" + stallStart + "|" + stallEnd + "|" + (merging ? "1" : "0");
    }

    boolean stalledDuring(long start, long end) {
      return stallEnd != 0 && stallStart - MARGIN_MS <= end && start - MARGIN_MS <= stallEnd;
    }
  }

  /**
   * Whether a stall restarts the {@code fenceAloneMs} wait: the one that raises the fence does, and, while it is up,
   * one long enough that the others may have removed this node meanwhile (failure detection). A shorter one could
   * not have got it removed, so the merge it waits for is no further away.
   */
  static boolean restartsAloneWait(boolean fenced, long silentMs, long failureDetectionMs) {
    return !fenced || silentMs >= failureDetectionMs;
  }

  /**
   * How many members of {@code before} are in {@code mine} only under a new UUID at the same address (merged back),
   * or -1 if one of them is missing altogether.
   */
  private static int mergedBack(Set<String> mine, Set<String> before, Map<String, String> addresses) {
    Set<String> here = new HashSet<>();
    for (String m : mine) {
      String a = addresses.get(m);
      if (a != null) {
        here.add(a);
      }
    }
    int merged = 0;
    for (String b : before) {
      if (mine.contains(b)) {
        continue;
      }
      String a = addresses.get(b);
      if (a == null || !here.contains(a)) {
        return -1;
      }
      merged++;
    }
    return merged;
  }

  /**
   * Why the fence may come down now, or null if it stays up (members known by UUID only).
   *
   * @param mine       the members this node sees now
   * @param before     the members it saw before the fence went up
   * @param stallStart its latest stall, wall clock ms (0, 0 if it never stalled: a merge raised the fence)
   * @param answers    one per peer it sees; null entries for peers that did not answer
   */
  static String lower(Set<String> mine, Set<String> before, long stallStart, long stallEnd, List<Answer> answers,
                      long raisedAt, long now, long aloneMs) {
    return lower(mine, before, Map.of(), stallStart, stallEnd, answers, raisedAt, now, aloneMs);
  }

  /**
   * Why the fence may come down now, or null if it stays up.
   *
   * @param mine       the member UUIDs this node sees now
   * @param before     the member UUIDs it saw before the fence went up
   * @param addresses  the address of each member UUID in {@code mine} and {@code before}, where known: a member of
   *                   {@code before} missing from {@code mine} but with a member of {@code mine} at its address
   *                   merged back after a split brain (Hazelcast gave it a new UUID)
   * @param stallStart its latest stall, wall clock ms (0, 0 if it never stalled: a merge raised the fence)
   * @param answers    one per peer it sees; null entries for peers that did not answer
   * @param aloneFrom  where the {@code aloneMs} wait runs from (monotonic ms, as {@code now})
   */
  static String lower(Set<String> mine, Set<String> before, Map<String, String> addresses, long stallStart,
                      long stallEnd, List<Answer> answers, long aloneFrom, long now, long aloneMs) {
    boolean allAgree = !answers.isEmpty();
    for (Answer a : answers) {
      if (a == null || !a.members().equals(mine) || a.merging()) {
        allAgree = false;
        continue;
      }
      if (stallEnd == 0 || !a.stalledDuring(stallStart, stallEnd)) {
        return "peer " + a.peer() + ", which was not stalled meanwhile, sees the same " + mine.size() + " member(s)";
      }
    }
    if (!allAgree) {
      return null;
    }
    if (mine.containsAll(before)) {
      return "every peer sees the same " + mine.size() + " member(s), all of those seen before the fence went up "
        + "(they stalled together; nobody was removed)";
    }
    int mergedBack = mergedBack(mine, before, addresses);
    if (mergedBack > 0) {
      return "every peer sees the same " + mine.size() + " member(s): all of those seen before the fence went up, "
        + mergedBack + " of them merged back after a split brain (same address, new member UUID), so nobody is left "
        + "outside this cluster";
    }
    if (now - aloneFrom >= aloneMs) {
      return "no merge within " + aloneMs + " ms and every peer sees the same " + mine.size() + " member(s): "
        + "carrying on as the survivors";
    }
    return null;
  }
}
