package io.steward.testing;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Records Vert.x's blocked-thread warnings ({@code io.vertx.core.impl.BlockedThreadChecker}: "Thread … has been
 * blocked for … ms, time limit is … ms") logged in this JVM, for {@link NoBlockedThreads}, which fails the test
 * during which one was logged. Attached to that logger in {@code logback-test.xml}; the warning is still printed.
 */
public final class BlockedThreads extends AppenderBase<ILoggingEvent> {

  /** The logger Vert.x's checker logs to. */
  public static final String LOGGER = "io.vertx.core.impl.BlockedThreadChecker";
  /** The words of its warning (the same for event loops and workers). */
  public static final String WARNING = "has been blocked for";

  /**
   * How long a multi-process test's node may report a thread blocked without failing the test: Vert.x's
   * {@code warningExceptionTime} (5 s), from which on it logs the blocked thread's stack, so a failure names the
   * culprit. Shorter warnings are reported, not failed on: on a loaded 2-core machine, three node JVMs and the test
   * JVM stall one another's event loops for 2-3 s with no blocking call at all (seen in BadInputIT, whose nodes took
   * 40 s to start, while the schedule fence saw its idle loop silent for 4 s). In-JVM tests keep Vert.x's 2 s.
   */
  public static final long PROCESS_FAIL_MS = 5_000;
  private static final java.util.regex.Pattern BLOCKED_MS = java.util.regex.Pattern.compile(WARNING + " (\\d+) ms");

  private static final ConcurrentLinkedQueue<String> SEEN = new ConcurrentLinkedQueue<>();

  @Override
  protected void append(ILoggingEvent event) {
    String message = event.getFormattedMessage();
    if (message != null && message.contains(WARNING)) {
      SEEN.add(event.getThreadName() + ": " + message);
      synchronized (SEEN) {
        SEEN.notifyAll();
      }
    }
  }

  /** Waits up to {@code timeoutMs} for a warning to be recorded (not drained): whether one is. */
  public static boolean await(long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    synchronized (SEEN) {
      while (SEEN.isEmpty()) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          return false;
        }
        SEEN.wait(left);
      }
      return true;
    }
  }

  /** How long the warning says the thread was blocked, in ms (0 if it does not say). */
  public static long blockedMs(String line) {
    java.util.regex.Matcher m = BLOCKED_MS.matcher(line);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  /** The warnings logged since the last call, oldest first. */
  public static List<String> drain() {
    List<String> out = new ArrayList<>();
    for (String s; (s = SEEN.poll()) != null; ) {
      out.add(s);
    }
    return out;
  }
}
