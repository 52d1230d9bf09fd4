package io.steward.node;

import io.steward.testing.TestCluster;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What a client sends is decoded without costs the client can choose. */
class JsonDecodingTest {

  @Test
  void field_names_a_client_sends_are_not_interned_once_a_node_runs() throws Exception {
    try (TestCluster cluster = TestCluster.create(JsonDecodingTest.class, 1)) {
      cluster.start(List.of(), new JsonObject()).await(90, TimeUnit.SECONDS);
      String name = "field-" + UUID.randomUUID();
      String decoded = new JsonObject(Buffer.buffer("{\"" + name + "\": 1}")).fieldNames().iterator().next();
      // A copy made before: interning it finds the decoded instance only if the decoder interned that one.
      String copy = new String(name.toCharArray());
      assertThat(copy.intern()).as("the decoded name was interned (String.intern per new field name: a client that "
        + "sends many names blocks the event loop decoding them)").isNotSameAs(decoded);
    }
  }
}
