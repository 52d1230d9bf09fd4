package io.steward.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;

/**
 * Every log event of this JVM while it is open (an appender on the root logger, after logback's filters), for
 * tests that assert what a scenario logs and at which level.
 */
public final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {

  private final ConcurrentLinkedQueue<ILoggingEvent> events = new ConcurrentLinkedQueue<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  public static LogCapture open() {
    LogCapture c = new LogCapture();
    c.setContext(c.root.getLoggerContext());
    c.setName("capture-" + System.identityHashCode(c));
    c.start();
    c.root.addAppender(c);
    return c;
  }

  @Override
  protected void append(ILoggingEvent event) {
    events.add(event);
    synchronized (events) {
      events.notifyAll();
    }
  }

  /** Waits up to {@code timeoutMs} for a message ({@link #messages()} form) that matches: whether one came. */
  public boolean await(Predicate<String> match, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    synchronized (events) {
      while (messages().stream().noneMatch(match)) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          return false;
        }
        events.wait(left);
      }
      return true;
    }
  }

  /** The events at {@code level} or above so far. */
  public List<ILoggingEvent> atLeast(Level level) {
    return events.stream().filter(e -> e.getLevel().isGreaterOrEqual(level)).toList();
  }

  /** Each event's formatted message (and thrown class), one string per event. */
  public List<String> messages() {
    return events.stream().map(e -> e.getLevel() + " " + e.getLoggerName() + " - " + e.getFormattedMessage()
      + (e.getThrowableProxy() == null ? "" : " [" + e.getThrowableProxy().getClassName() + "]")).toList();
  }

  @Override
  public void close() {
    root.detachAppender(this);
    stop();
  }
}
