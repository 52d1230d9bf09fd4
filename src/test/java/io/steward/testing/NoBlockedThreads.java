package io.steward.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;

/**
 * Fails a test during which Vert.x warned that a thread of this JVM was blocked (an event loop past its 2 s
 * limit, a worker past 60 s): a blocking call on an event loop stalls every handler of that loop, so it is a bug
 * wherever it shows. Registered for every test class by JUnit's extension auto-detection
 * ({@code META-INF/services/org.junit.jupiter.api.extension.Extension}, enabled in {@code junit-platform.properties}).
 * A warning logged while a class sets up or tears down its nodes fails the test that follows it, or the class.
 * The recording is {@link BlockedThreads}, attached in {@code logback-test.xml}.
 */
public final class NoBlockedThreads implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {

  @Override
  public void beforeAll(ExtensionContext context) {
    check("before " + context.getDisplayName() + " started (left by the class before it)");
  }

  @Override
  public void afterEach(ExtensionContext context) {
    check("during " + context.getDisplayName());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    check("while " + context.getDisplayName() + " ran or stopped its nodes");
  }

  private static void check(String when) {
    List<String> warnings = BlockedThreads.drain();
    if (!warnings.isEmpty()) {
      throw new AssertionError(warnings.size() + " Vert.x blocked-thread warning(s) " + when + ": a blocking call on an "
        + "event loop (or a worker stuck past its limit). First: " + warnings.get(0)
        + (warnings.size() > 1 ? "; last: " + warnings.get(warnings.size() - 1) : ""));
    }
  }
}
