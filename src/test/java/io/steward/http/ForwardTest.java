package io.steward.http;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The one rule of how long a route waits for a request that names its own time (Forward.waitMs). */
class ForwardTest {

  private static final long HTTP_TIMEOUT = 30_000;

  @Test
  void a_request_waits_for_its_own_time_plus_the_margin_but_never_less_than_the_http_timeout() {
    assertThat(Forward.waitMs(HTTP_TIMEOUT, 120_000, 0)).isEqualTo(120_000 + Forward.REPLY_MARGIN_MS);
    assertThat(Forward.waitMs(HTTP_TIMEOUT, 120_000L, FanoutApi.GATHER_LIST_MS))
      .as("a gather also waits for the nodes to be listed").isEqualTo(120_000 + 10_000 + Forward.REPLY_MARGIN_MS);
    assertThat(Forward.waitMs(HTTP_TIMEOUT, 1_000, 0)).isEqualTo(HTTP_TIMEOUT);
  }

  @Test
  void a_request_without_a_usable_time_waits_the_http_timeout() {
    assertThat(Forward.waitMs(HTTP_TIMEOUT, null, 0)).isEqualTo(HTTP_TIMEOUT);
    assertThat(Forward.waitMs(HTTP_TIMEOUT, "600000", 0)).isEqualTo(HTTP_TIMEOUT);
    assertThat(Forward.waitMs(HTTP_TIMEOUT, -5, 0)).isEqualTo(HTTP_TIMEOUT);
  }

  @Test
  void a_huge_time_does_not_overflow_into_a_short_wait() {
    // The module answers 400 for a value past its maximum; the route must not time out before that answer.
    assertThat(Forward.waitMs(HTTP_TIMEOUT, Long.MAX_VALUE, FanoutApi.GATHER_LIST_MS))
      .isEqualTo(Integer.MAX_VALUE + FanoutApi.GATHER_LIST_MS + Forward.REPLY_MARGIN_MS);
  }
}
