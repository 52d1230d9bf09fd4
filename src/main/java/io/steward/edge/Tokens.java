package io.steward.edge;

import io.vertx.core.json.JsonArray;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The shared secrets a door (HTTP, a bridge) accepts. None configured means the door is open to whoever
 * reaches its interface. A presented token is compared with every configured one in constant time: both
 * are hashed with SHA-256 and the digests compared with {@link MessageDigest#isEqual}, so neither the
 * content nor the length of a token leaks through timing, and no early exit tells which one was close.
 */
public final class Tokens {

  /** Shorter secrets are guessable; {@code openssl rand -hex 32} gives 64 characters. */
  static final int MIN_LENGTH = 16;

  private final List<byte[]> digests;

  private Tokens(List<byte[]> digests) {
    this.digests = List.copyOf(digests);
  }

  /** No token: the door is open. */
  static Tokens none() {
    return new Tokens(List.of());
  }

  /**
   * Reads a list of tokens (null: none). A token that is not a string, is too short or contains whitespace
   * is thrown as {@code error.apply("path[i]", reason)}; the reason never repeats the token.
   */
  public static Tokens of(JsonArray tokens, String path, BiFunction<String, String, ? extends RuntimeException> error) {
    List<byte[]> digests = new ArrayList<>();
    if (tokens != null) {
      for (int i = 0; i < tokens.size(); i++) {
        String where = path + "[" + i + "]";
        if (!(tokens.getValue(i) instanceof String t)) {
          throw error.apply(where, "must be a string");
        }
        if (t.length() < MIN_LENGTH) {
          throw error.apply(where, "a token must be at least " + MIN_LENGTH
            + " characters (e.g. the output of: openssl rand -hex 32)");
        }
        if (t.chars().anyMatch(Character::isWhitespace)) {
          throw error.apply(where, "a token must not contain whitespace");
        }
        digests.add(sha256(t));
      }
    }
    return new Tokens(digests);
  }

  /** Whether callers must present a token. */
  public boolean required() {
    return !digests.isEmpty();
  }

  /** Whether {@code presented} is one of the tokens; always true when none is required. */
  public boolean accepts(String presented) {
    if (digests.isEmpty()) {
      return true;
    }
    if (presented == null) {
      return false;
    }
    byte[] candidate = sha256(presented);
    boolean match = false;
    for (byte[] d : digests) {
      match |= MessageDigest.isEqual(d, candidate);
    }
    return match;
  }

  /** The token of an {@code Authorization: Bearer <token>} header, or null. */
  public static String bearer(String authorization) {
    if (authorization == null) {
      return null;
    }
    String a = authorization.trim();
    if (a.length() > 7 && a.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String token = a.substring(7).trim();
      return token.isEmpty() ? null : token;
    }
    return null;
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
