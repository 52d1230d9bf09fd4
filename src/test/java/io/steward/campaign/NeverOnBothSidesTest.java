package io.steward.campaign;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.steward.campaign.HistoryBuilder.sides;
import static org.assertj.core.api.Assertions.assertThat;

class NeverOnBothSidesTest {

  private final Checker checker = new NeverOnBothSides();

  private static HistoryBuilder cut(Integer minimumSize) {
    return new HistoryBuilder().settings(minimumSize, 3, 10_000).putJob(10, 20, "j", "cluster", 500)
        .fault("p1", "partition", 1000, 10_000, sides(List.of("n1"), List.of("n2", "n3")), "n1");
  }

  @Test
  void the_minority_firing_until_the_majority_takes_over_is_a_clean_handover() {
    History h = cut(2)
        .fire(1100, "j", 1500, "n1", "c1").fire(1600, "j", 2000, "n1", "c1")
        .fire(5100, "j", 5500, "n2", "c2").fire(5600, "j", 6000, "n2", "c2")
        .build();
    assertThat(checker.check(h)).isEmpty();
  }

  @Test
  void the_minority_firing_after_the_majority_took_over_is_reported() {
    History h = cut(2)
        .fire(1100, "j", 1500, "n1", "c1")
        .fire(5100, "j", 5500, "n2", "c2")
        .fire(6100, "j", 6500, "n1", "c1").fire(6101, "j", 6500, "n1", "c2")
        .build();
    List<Anomaly> found = checker.check(h);
    assertThat(found).singleElement().satisfies(a -> {
      assertThat(a.what()).contains("tick 6500", "n1", "below cluster.minimumSize 2", "tick 5500", "n2", "p1");
      assertThat(a.evidence().getJsonArray("fires")).hasSize(2);
    });
  }

  @Test
  void without_a_minimum_size_both_sides_fire_by_design() {
    History h = cut(null).fire(5100, "j", 5500, "n2", "c2").fire(6100, "j", 6500, "n1", "c1").build();
    assertThat(checker.check(h)).isEmpty();
  }

  @Test
  void fires_after_the_heal_are_not_judged() {
    History h = cut(2).fire(5100, "j", 5500, "n2", "c2").fire(11_000, "j", 11_500, "n1", "c1").build();
    assertThat(checker.check(h)).isEmpty();
  }
}
