package io.steward.reliability;

import io.steward.testing.BlockedThreads;
import io.steward.testing.NodeProcess;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ERROR lines in a node's log ({@code logback.xml}: time, level, [thread], logger abbreviated to 24
 * characters, message). Steward's loggers ({@code io.steward}, printed {@code i.s.…}) must never log an ERROR in
 * these scenarios; ERRORs of Vert.x or Hazelcast are reported, not failed on. Vert.x's blocked-thread warnings
 * of {@link BlockedThreads#PROCESS_FAIL_MS} or more are failed on too (shorter ones are counted), except on nodes
 * the scenario SIGSTOPped.
 */
record NodeLogs(String node, List<String> steward, List<String> others) {

  private static final Pattern LINE = Pattern.compile("^\\S+ ERROR \\[[^\\]]*\\] (\\S+) - (.*)$");

  static NodeLogs of(NodeProcess node) {
    List<String> steward = new ArrayList<>();
    List<String> others = new ArrayList<>();
    for (String line : node.logText().split("\n")) {
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        continue;
      }
      String logger = m.group(1);
      if (logger.startsWith("i.s.") || logger.startsWith("io.steward")) {
        steward.add(line);
      } else {
        others.add(logger + " - " + abbreviate(m.group(2)));
      }
    }
    return new NodeLogs(node.name(), steward, others);
  }

  /** Every node's ERROR lines, checked into the verdict: none of Steward's, others noted (distinct). */
  static void check(Verdict verdict, List<NodeProcess> nodes) {
    int stewardErrors = 0;
    List<String> distinctOthers = new ArrayList<>();
    for (NodeProcess n : nodes) {
      NodeLogs logs = of(n);
      stewardErrors += logs.steward().size();
      for (String s : logs.steward()) {
        verdict.note(n.name() + " logged " + abbreviate(s));
      }
      for (String o : logs.others()) {
        String tagged = n.name() + ": " + o;
        if (distinctOthers.stream().noneMatch(d -> d.substring(d.indexOf(':')).equals(tagged.substring(tagged.indexOf(':'))))) {
          distinctOthers.add(tagged);
        }
      }
    }
    verdict.figure("Steward ERROR lines", stewardErrors);
    verdict.check(stewardErrors == 0, "Steward logged " + stewardErrors + " ERROR line(s)");
    int blocked = 0;
    int long_ = 0;
    for (NodeProcess n : nodes) {
      List<String> warnings = n.blockedThreadWarnings();
      if (n.wasPaused()) {
        warnings.stream().limit(2).forEach(w -> verdict.note(n.name() + " (SIGSTOPped, not counted) " + abbreviate(w)));
      } else {
        blocked += warnings.size();
        long_ += (int) warnings.stream().filter(w -> BlockedThreads.blockedMs(w) >= BlockedThreads.PROCESS_FAIL_MS).count();
        warnings.stream().limit(2).forEach(w -> verdict.note(n.name() + " " + abbreviate(w)));
      }
    }
    verdict.figure("blocked-thread warnings", blocked);
    verdict.check(long_ == 0, "Vert.x warned " + long_ + " time(s) that a thread was blocked for "
      + BlockedThreads.PROCESS_FAIL_MS + " ms or more");
    if (!distinctOthers.isEmpty()) {
      verdict.figure("library ERROR lines", distinctOthers.size());
      distinctOthers.stream().limit(5).forEach(o -> verdict.note("library ERROR " + o));
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "…";
  }
}
