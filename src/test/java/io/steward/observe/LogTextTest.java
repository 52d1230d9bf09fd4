package io.steward.observe;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LogTextTest {

  @Test
  void control_characters_a_client_sends_are_escaped_and_the_rest_kept() {
    assertThat(LogText.escape("users/42 é ü 💡")).isEqualTo("users/42 é ü 💡");
    assertThat(LogText.escape("k\n2026 ERROR forged\r\t\u001b[31m\u0000\u007f\u0085\u2028"))
      .isEqualTo("k\\n2026 ERROR forged\\r\\t\\u001b[31m\\u0000\\u007f\\u0085\\u2028");
    assertThat(LogText.escape(null)).isEqualTo("null");
    String plain = "steward.cache.get";
    assertThat(LogText.escape(plain)).isSameAs(plain);
  }
}
