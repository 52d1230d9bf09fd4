package io.steward.edge;

import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokensTest {

  private static Tokens of(String... tokens) {
    return Tokens.of(new JsonArray(java.util.List.of((Object[]) tokens)), "http.tokens",
      (path, reason) -> new IllegalArgumentException(path + ": " + reason));
  }

  @Test
  void without_tokens_the_door_is_open() {
    assertThat(Tokens.none().required()).isFalse();
    assertThat(Tokens.none().accepts(null)).isTrue();
    assertThat(Tokens.of(null, "x", (p, r) -> new IllegalArgumentException()).required()).isFalse();
  }

  @Test
  void any_configured_token_is_accepted_and_nothing_else() {
    Tokens tokens = of("first-token-0123456789", "second-token-0123456789");
    assertThat(tokens.required()).isTrue();
    assertThat(tokens.accepts("first-token-0123456789")).isTrue();
    assertThat(tokens.accepts("second-token-0123456789")).isTrue();
    assertThat(tokens.accepts("first-token-012345678")).isFalse();
    assertThat(tokens.accepts("first-token-0123456789 ")).isFalse();
    assertThat(tokens.accepts("")).isFalse();
    assertThat(tokens.accepts(null)).isFalse();
  }

  @Test
  void weak_tokens_are_refused_without_repeating_them() {
    assertThatThrownBy(() -> of("good-token-0123456789", "short")).hasMessageStartingWith("http.tokens[1]: a token must be at least 16")
      .hasMessageNotContaining("short");
    assertThatThrownBy(() -> of("has a space in it 0123456789")).hasMessageStartingWith("http.tokens[0]: a token must not contain whitespace");
  }

  @Test
  void bearer_headers_are_read_case_insensitively() {
    assertThat(Tokens.bearer("Bearer abc")).isEqualTo("abc");
    assertThat(Tokens.bearer("bearer   abc ")).isEqualTo("abc");
    assertThat(Tokens.bearer("Basic abc")).isNull();
    assertThat(Tokens.bearer("Bearer ")).isNull();
    assertThat(Tokens.bearer(null)).isNull();
  }
}
