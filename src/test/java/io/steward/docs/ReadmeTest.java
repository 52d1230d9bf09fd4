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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's tables are generated from the code they describe; this test fails, printing the table to
 * paste, when they drift apart. Every address constant must appear in the README too.
 */
class ReadmeTest {

  private static String readme() throws Exception {
    return Files.readString(Path.of("README.md"));
  }

  private static String between(String text, String marker) {
    String start = "<!-- " + marker + ":start -->\n";
    String end = "<!-- " + marker + ":end -->";
    int a = text.indexOf(start);
    int b = text.indexOf(end);
    assertThat(a).as("README has the %s markers", marker).isNotNegative();
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

  /** Prints the generated tables, to paste into README.md. */
  public static void main(String[] args) {
    System.out.println(configTable());
    System.out.println(failureTable());
  }

  @Test
  void the_configuration_table_matches_the_settings() throws Exception {
    String expected = configTable();
    assertThat(between(readme(), "config-table")).as("README configuration table; paste:\n%s", expected).isEqualTo(expected);
  }

  @Test
  void the_failure_code_table_matches_the_codes() throws Exception {
    String expected = failureTable();
    assertThat(between(readme(), "failure-table")).as("README failure-code table; paste:\n%s", expected).isEqualTo(expected);
  }

  @Test
  void every_address_is_documented() throws Exception {
    String readme = readme();
    List<String> missing = new ArrayList<>();
    for (Class<?> group : Addresses.class.getDeclaredClasses()) {
      for (Field f : group.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
          String value = (String) f.get(null);
          if (value.startsWith(Addresses.PREFIX) && !readme.contains("`" + value + "`")) {
            missing.add(value);
          }
        }
      }
    }
    assertThat(missing).as("addresses missing from README.md").isEmpty();
  }

  @Test
  void the_readme_starts_with_the_two_commands() throws Exception {
    String head = readme().lines().limit(30).reduce("", (a, b) -> a + b + "\n");
    // The test command is .ci/run (it installs what the suite needs on a fresh machine), which runs mvn -B verify.
    assertThat(head).contains("java -jar target/steward.jar").contains("bash .ci/run").contains("mvn -B verify");
    assertThat(Files.readString(Path.of(".ci/run"))).contains("\nmvn -B verify");
  }
}
