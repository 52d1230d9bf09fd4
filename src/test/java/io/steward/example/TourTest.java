package io.steward.example;

import io.steward.client.StewardClient;
import io.steward.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's Java tour runs as written, on a node with the four modules, and the README quotes it as compiled. */
class TourTest {

  @Test
  void the_readme_tour_gets_an_answer_from_every_module() throws Exception {
    try (TestCluster cluster = TestCluster.create(TourTest.class, 1)) {
      var node = cluster.start(List.of("tasks", "fanout", "schedule", "cache")).await(90, TimeUnit.SECONDS);
      JsonObject results = Tour.tour(StewardClient.create(node.vertx())).await(60, TimeUnit.SECONDS);
      assertThat(results.getJsonObject("task")).isEqualTo(new JsonObject().put("hello", "world"));
      assertThat(results.getInteger("fanout")).isEqualTo(3);
      assertThat(results.getString("job")).as("the job's next fire time").isNotBlank().isNotEqualTo("null");
      assertThat(results.getString("report")).as("the cron job's next fire time").containsAnyOf("T07:00:00Z", "T08:00:00Z");
      assertThat(results.getJsonObject("cache")).isEqualTo(new JsonObject().put("name", "Ada"));
      assertThat(results.getInteger("missing")).isEqualTo(404);
      assertThat(results.getInteger("visits")).isEqualTo(1);
    }
  }

  @Test
  void the_readme_quotes_the_tour_as_it_is_compiled() throws Exception {
    String source = Files.readString(Path.of("src/test/java/io/steward/example/Tour.java"));
    String readme = Files.readString(Path.of("README.md"));
    for (String region : List.of("join", "tour")) {
      String quoted = unindent(between(source, "// " + region + ":start\n", "    // " + region + ":end"));
      assertThat(readme).as("README.md quotes Tour.java's " + region + " region as it is").contains(quoted);
    }
  }

  /** The lines without the indentation they share (blank lines aside). */
  private static String unindent(String text) {
    int indent = text.lines().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
    return text.lines().map(l -> l.isBlank() ? "" : l.substring(indent)).reduce("", (a, b) -> a + b + "\n");
  }

  private static String between(String text, String start, String end) {
    int from = text.indexOf(start);
    int to = text.indexOf(end, from);
    assertThat(from).as(start.strip()).isNotNegative();
    assertThat(to).as(end.strip()).isGreaterThan(from);
    return text.substring(from + start.length(), to);
  }
}
