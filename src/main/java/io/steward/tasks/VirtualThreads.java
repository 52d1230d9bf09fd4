package io.steward.tasks;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ThreadFactory;

/**
 * Virtual threads without compiling for 21: {@code Thread.ofVirtual().name(prefix, 0).factory()} looked up
 * at run time, only on a JVM whose feature version is at least 21.
 */
final class VirtualThreads {

  private VirtualThreads() {
  }

  static boolean available() {
    return Runtime.version().feature() >= 21;
  }

  /** A factory of virtual threads named {@code prefix0, prefix1, …}, or null on a JVM older than 21. */
  static ThreadFactory factory(String prefix) {
    if (!available()) {
      return null;
    }
    try {
      MethodHandles.Lookup lookup = MethodHandles.publicLookup();
      Class<?> builder = Class.forName("java.lang.Thread$Builder");
      Class<?> ofVirtual = Class.forName("java.lang.Thread$Builder$OfVirtual");
      MethodHandle create = lookup.findStatic(Thread.class, "ofVirtual", MethodType.methodType(ofVirtual));
      MethodHandle name = lookup.findVirtual(ofVirtual, "name", MethodType.methodType(ofVirtual, String.class, long.class));
      MethodHandle factory = lookup.findVirtual(builder, "factory", MethodType.methodType(ThreadFactory.class));
      Object b = create.invoke();
      b = name.invoke(b, prefix, 0L);
      return (ThreadFactory) factory.invoke(b);
    } catch (Throwable e) {
      throw new IllegalStateException("this JVM (" + Runtime.version() + ") should have virtual threads but "
        + "Thread.ofVirtual() could not be used: " + e, e);
    }
  }
}
