package io.steward.fanout;

import io.steward.spi.ConfigException;
import io.steward.node.StewardNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fanout section: defaults, overrides, and start-up errors that name the key. */
class FanoutConfigTest {

  private static JsonObject section(Map<String, String> env) {
    return StewardNode.configLoader().resolve(new JsonObject(), env, Map.of()).section("fanout");
  }

  @Test
  void defaults_and_environment_overrides_are_read() {
    FanoutConfig defaults = FanoutConfig.from(section(Map.of()));
    assertThat(defaults.maxItems()).isEqualTo(100_000);
    assertThat(defaults.defaultDeadlineMs()).as("below the bus's default 30 s send timeout").isLessThan(30_000);
    FanoutConfig env = FanoutConfig.from(section(Map.of("STEWARD_FANOUT_MAX_ITEMS", "500", "STEWARD_FANOUT_MAX_RUNS", "3")));
    assertThat(env.maxItems()).isEqualTo(500);
    assertThat(env.maxRuns()).isEqualTo(3);
  }

  @Test
  void inconsistent_values_stop_start_up_naming_the_key() {
    assertThatThrownBy(() -> section(Map.of("STEWARD_FANOUT_MAX_ITEMS", "0")))
      .isInstanceOf(ConfigException.class).hasMessageContaining("fanout.maxItems: must be at least 1, got 0");
    assertThatThrownBy(() -> section(Map.of("STEWARD_FANOUT_DEFAULT_CONCURRENCY", "50", "STEWARD_FANOUT_MAX_CONCURRENCY", "10")))
      .isInstanceOf(ConfigException.class).hasMessageContaining("fanout.defaultConcurrency: must not be above fanout.maxConcurrency");
    assertThatThrownBy(() -> section(Map.of("STEWARD_FANOUT_DEFAULT_DEADLINE_MS", "700000")))
      .isInstanceOf(ConfigException.class).hasMessageContaining("fanout.defaultDeadlineMs");
  }
}
