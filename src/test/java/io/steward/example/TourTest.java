package io.steward.example;

import io.steward.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's Java tour runs as written, on a node with the four modules. */
class TourTest {

  @Test
  void the_readme_tour_gets_an_answer_from_every_module() throws Exception {
    try (TestCluster cluster = TestCluster.create(TourTest.class, 1)) {
      var node = cluster.start(List.of("tasks", "fanout", "schedule", "cache")).await(90, TimeUnit.SECONDS);
      JsonObject results = Tour.tour(node.vertx()).await(60, TimeUnit.SECONDS);
      assertThat(results.getJsonObject("task")).isEqualTo(new JsonObject().put("hello", "world"));
      assertThat(results.getJsonObject("fanout").getInteger("ok")).isEqualTo(3);
      assertThat(results.getString("job")).as("the job's next fire time").isNotBlank();
      assertThat(results.getJsonObject("cache")).isEqualTo(new JsonObject().put("name", "Ada"));
    }
  }
}
