package io.steward.schedule;

import io.steward.bus.AddressRule;
import io.steward.bus.Door;
import io.steward.bus.Failure;
import io.steward.bus.StewardException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** A job put through a door: its targets are checked at put time, and it keeps the door's rule for every tick. */
class JobDoorTest {

  private static final Door DOOR = Door.of("the TCP bridge", "bridge.inbound or bridge.targets",
    List.of(new AddressRule("steward.schedule.put", null), new AddressRule("steward.tasks.run", null),
      new AddressRule("app.report", null)));

  private static JsonObject job(JsonObject action) {
    return new JsonObject().put("name", "j").put("every", "1m").put("action", action);
  }

  private static StewardException refused(JsonObject action) {
    return catchThrowableOfType(StewardException.class, () -> JobSpec.parse(job(action)).throughDoor(DOOR));
  }

  @Test
  void every_address_a_job_will_send_to_is_checked_when_it_is_put() {
    assertThat(refused(new JsonObject().put("type", "send").put("address", "steward.cache.clear")).getMessage())
      .startsWith("action.address: access denied: 'steward.cache.clear'");
    assertThat(refused(new JsonObject().put("type", "publish").put("address", "steward.nodes.events")).field())
      .isEqualTo("action.address");
    StewardException submit = refused(new JsonObject().put("type", "task").put("wait", false)
      .put("task", new JsonObject().put("type", "echo")));
    assertThat(submit.field()).isEqualTo("action.task");
    assertThat(submit.getMessage()).contains("'steward.tasks.submit'");
    StewardException bus = refused(new JsonObject().put("type", "task").put("task", new JsonObject().put("type", "bus")
      .put("payload", new JsonObject().put("address", "__vertx.reply.1"))));
    assertThat(bus.failure()).isEqualTo(Failure.FORBIDDEN);
    assertThat(bus.field()).isEqualTo("action.task.payload.address");
  }

  @Test
  void a_permitted_job_keeps_the_rule_of_its_door_over_any_in_the_body() {
    JsonObject forged = new JsonObject().put("door", "x").put("setting", "x")
      .put("permits", new JsonArray().add(new JsonObject().put("addressRegex", ".*")));
    JobSpec spec = JobSpec.parse(job(new JsonObject().put("type", "send").put("address", "app.report")).put("door", forged))
      .throughDoor(DOOR);
    assertThat(spec.door()).isEqualTo(DOOR);
    JsonObject canonical = spec.toJson();
    assertThat(canonical.getJsonObject("door")).isEqualTo(DOOR.toJson());
    assertThat(JobSpec.parse(canonical.copy()).door()).as("the stored job reads back with its rule").isEqualTo(DOOR);
    assertThat(JobSpec.parse(job(new JsonObject().put("type", "send").put("address", "anything"))).door())
      .as("a job put from inside the cluster has none").isNull();
  }
}
