package io.steward.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A scenario's one-line verdict: its figures (tasks lost, duplicates, entries lost, …) and the checks that
 * failed, if any. {@link #report()} prints the line, appends it to {@code target/reliability/verdicts.txt}
 * (the README's figures table is copied from there), and fails the test on any failed check, with the line as
 * the message.
 */
final class Verdict {

  private final String scenario;
  private final Map<String, Object> figures = new LinkedHashMap<>();
  private final List<String> failures = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  private Verdict(String scenario) {
    this.scenario = scenario;
  }

  static Verdict of(String scenario) {
    return new Verdict(scenario);
  }

  Verdict figure(String name, Object value) {
    figures.put(name, value);
    return this;
  }

  /** A check: when {@code ok} is false the scenario fails, naming {@code what}. */
  Verdict check(boolean ok, String what) {
    if (!ok) {
      failures.add(what);
    }
    return this;
  }

  /** Something worth reading that is not a failure (an ERROR line from a library, a retry count, …). */
  Verdict note(String note) {
    notes.add(note);
    return this;
  }

  boolean passed() {
    return failures.isEmpty();
  }

  String line() {
    String figs = figures.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    return "RELIABILITY " + scenario + " [" + Soak.label() + "] " + (passed() ? "PASS" : "FAIL") + ": " + figs
      + (failures.isEmpty() ? "" : " | FAILED: " + String.join("; ", failures))
      + (notes.isEmpty() ? "" : " | notes: " + String.join("; ", notes));
  }

  /**
   * Prints and records the verdict; returns the failed checks, which the scenario asserts empty
   * ({@code assertThat(v.report()).as("verdict").isEmpty()}), so the build fails on any loss.
   */
  List<String> report() {
    String line = line();
    System.out.println(line);
    Path dir = Path.of(System.getProperty("test.steward.logs", "target/test-logs")).getParent().resolve("reliability");
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("verdicts.txt"), line + System.lineSeparator(), StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      System.out.println("(could not record the verdict: " + e + ")");
    }
    return List.copyOf(failures);
  }
}
