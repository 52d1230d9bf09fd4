package io.steward.observe;

import org.slf4j.Logger;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Logs at most one line per key per interval and says how many were suppressed, so a flood of rejected
 * messages stays readable and does not fill the disk. The message is logged through {@link LogText#escape}:
 * these lines quote what clients sent (addresses, keys, names), and a control character in them must not
 * forge a line.
 */
public final class RateLimitedLog {

  private final Logger log;
  private final long intervalNanos;
  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

  public RateLimitedLog(Logger log, long intervalMillis) {
    this.log = log;
    this.intervalNanos = intervalMillis * 1_000_000L;
  }

  public void warn(String key, String message) {
    Window w = windows.computeIfAbsent(key, k -> new Window());
    long now = System.nanoTime();
    long last = w.lastLogged.get();
    if (last != 0 && now - last < intervalNanos) {
      w.suppressed.incrementAndGet();
      return;
    }
    if (!w.lastLogged.compareAndSet(last, now)) {
      w.suppressed.incrementAndGet();
      return;
    }
    long suppressed = w.suppressed.getAndSet(0);
    if (windows.size() > 10_000) {
      windows.clear(); // keys come from addresses; never let them grow without bound
    }
    String line = LogText.escape(message);
    log.warn(suppressed == 0 ? line : line + " (" + suppressed + " similar lines suppressed)");
  }

  private static final class Window {
    final AtomicLong lastLogged = new AtomicLong();
    final AtomicLong suppressed = new AtomicLong();
  }
}
