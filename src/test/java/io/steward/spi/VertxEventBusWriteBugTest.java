package io.steward.spi;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The Vert.x bug behind {@link LibraryLogs}' {@code eventbus-write-to-lost-peer} row, shown on the Vert.x classes in
 * the pom. The clustered event bus ({@code OutboundConnection.writeMessage}) passes a message's {@code SendContext}
 * as the listener of its socket write; when the write fails (the peer's connection died), the listener's
 * {@code complete(null, failure)} calls {@code Promise.fail}, which throws "Promise already completed" because
 * {@code SendContext.tryFail} fails the message and then answers {@code false}. The message's failure is delivered
 * first, so nothing is lost: only the ERROR line is wrong. This test fails once Vert.x fixes it: then remove the row.
 * (SendContext is package-private; reflection here, in a test, reads it without a compile-time dependency.)
 */
class VertxEventBusWriteBugTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @SuppressWarnings("unchecked")
  void vertx_fails_a_message_whose_write_failed_then_throws_promise_already_completed() throws Exception {
    Class<?> sendContext = Class.forName("io.vertx.core.eventbus.impl.SendContext");
    Constructor<?> create = sendContext.getDeclaredConstructors()[0];
    create.setAccessible(true);
    Object context = vertx.getOrCreateContext();
    Promise<Void> message = (Promise<Void>) create.newInstance(context, null, new DeliveryOptions(), null);
    Promise<Void> written = (Promise<Void>) sendContext.getField("writePromise").get(message);

    ClosedChannelException failure = new ClosedChannelException();
    // what a failed socket write does to its listener (FutureBase emitting to a Completable)
    Throwable thrown = catchThrowable(() -> message.complete(null, failure));

    assertThat(written.future().failed()).as("the message's failure was delivered").isTrue();
    assertThat(written.future().cause()).isSameAs(failure);
    assertThat(thrown).as("then Vert.x throws (the ERROR line the row turns into a WARN)")
      .isInstanceOf(IllegalStateException.class).hasMessage("Promise already completed");
    assertThat(thrown.getStackTrace()[0].getClassName()).isEqualTo("io.vertx.core.Promise");
    assertThat(thrown.getStackTrace()[0].getMethodName()).isEqualTo("fail");
  }
}
