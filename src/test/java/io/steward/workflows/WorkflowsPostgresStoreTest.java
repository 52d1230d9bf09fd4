package io.steward.workflows;

import io.steward.testing.Postgres;
import io.steward.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link WorkflowsStoreTest} on PostgreSQL (a database of its own on the server of {@code TEST_POSTGRES_URL}; skipped
 * without it, except in CI, where .ci/run starts one): a workflow mid-way and a finished one survive a full stop of
 * the cluster, and the first runs to its end.
 */
class WorkflowsPostgresStoreTest extends WorkflowsStoreTest {

  private static String admin;
  private static String url;

  @BeforeAll
  static void start() throws Exception {
    admin = Postgres.adminUrl();
    url = Postgres.createDatabase(admin);
    cluster = TestCluster.create(WorkflowsPostgresStoreTest.class, 1);
    store = new JsonObject().put("kind", "postgres").put("url", url).put("dir", dir.resolve("store").toString());
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (url != null) {
      Postgres.dropDatabase(admin, url);
    }
  }
}
