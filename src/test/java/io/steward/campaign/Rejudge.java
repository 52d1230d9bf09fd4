package io.steward.campaign;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Judges kept histories again with today's checkers, without running a cluster: after a checker changes, or to read a
 * campaign's failures by checker. Each argument is a seed's directory (with {@code history.jsonl}) or a directory of
 * them. Prints one line per seed and, with {@code -v}, every anomaly. Run from the project (docs/campaign.md):
 * <pre>
 * mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp target/test-classes:target/classes:$(cat target/cp.txt) io.steward.campaign.Rejudge target/campaign
 * </pre>
 */
public final class Rejudge {

  private Rejudge() {
  }

  public static void main(String[] args) throws IOException {
    boolean verbose = List.of(args).contains("-v");
    for (String arg : args) {
      if (arg.equals("-v")) {
        continue;
      }
      Path dir = Path.of(arg);
      if (Files.exists(dir.resolve("history.jsonl"))) {
        judge(dir, verbose);
      } else {
        try (var seeds = Files.list(dir)) {
          for (Path seed : seeds.filter(p -> Files.exists(p.resolve("history.jsonl"))).sorted().toList()) {
            judge(seed, verbose);
          }
        }
      }
    }
  }

  private static void judge(Path seed, boolean verbose) throws IOException {
    List<Anomaly> anomalies = Checkers.run(History.read(seed.resolve("history.jsonl")));
    Map<String, Integer> byChecker = new TreeMap<>();
    anomalies.forEach(a -> byChecker.merge(a.checker(), 1, Integer::sum));
    System.out.println("REJUDGE " + seed.getFileName() + " " + (anomalies.isEmpty() ? "PASS" : "FAIL " + byChecker));
    if (verbose) {
      anomalies.forEach(a -> System.out.println("  " + a.checker() + ": " + a.what()));
    }
  }
}
