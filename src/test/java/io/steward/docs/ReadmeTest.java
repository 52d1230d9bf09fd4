package io.steward.docs;

import io.steward.bus.Addresses;
import io.steward.bus.Failure;
import io.steward.spi.Setting;
import io.steward.node.StewardNode;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The documentation's tables are generated from the code they describe: the configuration table in
 * docs/configuration.md, the failure codes in docs/reference.md. This test fails, printing the table to paste, when
 * they drift apart (and {@link #main} prints them). Every address constant must appear in docs/reference.md, the
 * README must start with the two commands and stay a short guide, and every relative link in README.md and docs/
 * must lead to a file (and heading) that exists.
 */
class ReadmeTest {

  private static final Path README = Path.of("README.md");
  private static final Path DOCS = Path.of("docs");
  private static final Path CONFIGURATION = DOCS.resolve("configuration.md");
  private static final Path REFERENCE = DOCS.resolve("reference.md");

  private static String readme() throws Exception {
    return Files.readString(README);
  }

  private static String between(Path file, String marker) throws Exception {
    String text = Files.readString(file);
    String start = "<!-- " + marker + ":start -->\n";
    String end = "<!-- " + marker + ":end -->";
    int a = text.indexOf(start);
    int b = text.indexOf(end);
    assertThat(a).as("%s has the %s markers", file, marker).isNotNegative();
    assertThat(b).isGreaterThan(a);
    return text.substring(a + start.length(), b);
  }

  static String configTable() {
    StringBuilder sb = new StringBuilder("| Key | Environment variable | Default | Meaning |\n|---|---|---|---|\n");
    for (Setting s : StewardNode.configLoader().settings()) {
      sb.append("| `").append(s.path()).append("` | `").append(s.env()).append("` | ")
        .append(defaultText(s)).append(" | ").append(s.meaning().replace("|", "\\|")).append(" |\n");
    }
    return sb.toString();
  }

  private static String defaultText(Setting s) {
    Object d = s.defaultValue();
    if (d == null) {
      return "—";
    }
    if (d instanceof JsonArray a) {
      return a.isEmpty() ? "`[]`" : "`" + String.join(",", a.stream().map(Object::toString).toList()) + "`";
    }
    return "`" + d.toString().replace("|", "\\|") + "`";
  }

  static String failureTable() {
    StringBuilder sb = new StringBuilder("| Code | Name | Retry? | May have applied? | Meaning |\n|---|---|---|---|---|\n");
    for (Failure f : Failure.values()) {
      sb.append("| ").append(f.code()).append(" | `").append(f.name()).append("` | ")
        .append(f.retryable() ? "yes" : "no").append(" | ").append(f.mayHaveApplied() ? "yes" : "no").append(" | ")
        .append(f.meaning()).append(" |\n");
    }
    return sb.toString();
  }

  /** Prints the generated tables, to paste into docs/configuration.md and docs/reference.md. */
  public static void main(String[] args) {
    System.out.println(configTable());
    System.out.println(failureTable());
  }

  @Test
  void the_configuration_table_matches_the_settings() throws Exception {
    String expected = configTable();
    assertThat(between(CONFIGURATION, "config-table")).as("%s configuration table; paste:\n%s", CONFIGURATION, expected)
      .isEqualTo(expected);
  }

  @Test
  void the_failure_code_table_matches_the_codes() throws Exception {
    String expected = failureTable();
    assertThat(between(REFERENCE, "failure-table")).as("%s failure-code table; paste:\n%s", REFERENCE, expected)
      .isEqualTo(expected);
  }

  @Test
  void every_address_is_documented() throws Exception {
    String reference = Files.readString(REFERENCE);
    List<String> missing = new ArrayList<>();
    for (Class<?> group : Addresses.class.getDeclaredClasses()) {
      for (Field f : group.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
          String value = (String) f.get(null);
          if (value.startsWith(Addresses.PREFIX) && !reference.contains("`" + value + "`")) {
            missing.add(value);
          }
        }
      }
    }
    assertThat(missing).as("addresses missing from %s", REFERENCE).isEmpty();
  }

  @Test
  void the_readme_starts_with_the_two_commands() throws Exception {
    String head = readme().lines().limit(30).reduce("", (a, b) -> a + b + "\n");
    // The test command is .ci/run (it installs what the suite needs on a fresh machine), which runs mvn -B verify.
    assertThat(head).contains("java -jar target/steward.jar").contains("bash .ci/run").contains("mvn -B verify");
    assertThat(Files.readString(Path.of(".ci/run"))).contains("\nmvn -B verify");
  }

  @Test
  void the_readme_is_a_short_guide() throws Exception {
    // The README is the front door; reference and figures live in docs/.
    assertThat(readme().lines().count()).as("lines of README.md (move details to docs/)").isLessThanOrEqualTo(320);
  }

  @Test
  void every_relative_link_leads_to_a_file_and_heading_that_exist() throws Exception {
    List<Path> pages = new ArrayList<>();
    pages.add(README);
    try (Stream<Path> docs = Files.list(DOCS)) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    List<String> broken = new ArrayList<>();
    for (Path page : pages) {
      for (String target : Markdown.links(Files.readString(page))) {
        if (target.matches("^[a-z][a-z0-9+.-]*:.*")) {
          continue;                                   // https:, mailto: and the like
        }
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        String anchor = hash < 0 ? null : target.substring(hash + 1);
        Path resolved = file.isEmpty() ? page : page.toAbsolutePath().getParent().resolve(file).normalize();
        if (!Files.exists(resolved)) {
          broken.add(page + ": " + target + " (no file " + resolved + ")");
        } else if (anchor != null && resolved.toString().endsWith(".md")
            && !Markdown.anchors(Files.readString(resolved)).contains(anchor)) {
          broken.add(page + ": " + target + " (no heading #" + anchor + " in " + resolved.getFileName() + ")");
        }
      }
    }
    assertThat(broken).as("broken links in README.md and docs/").isEmpty();
  }
}
