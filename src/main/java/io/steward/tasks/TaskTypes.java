package io.steward.tasks;

import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The task types this JVM knows: those listed in {@code META-INF/services/io.steward.tasks.TaskType} (the
 * built-ins {@code echo}, {@code sleep}, {@code fail}, {@code bus}, and any an application adds), plus those
 * registered programmatically. Looked up at submit time, so a type registered after the node started is
 * usable at once.
 */
public final class TaskTypes {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,100}");
  private static final ConcurrentHashMap<String, TaskType> TYPES = new ConcurrentHashMap<>();

  static {
    for (TaskType type : ServiceLoader.load(TaskType.class)) {
      register(type);
    }
  }

  private TaskTypes() {
  }

  /** Adds or replaces a type. */
  public static void register(TaskType type) {
    String name = type.name();
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("task type name must be 1-100 letters, digits or . _ : -, got '" + name
        + "' from " + type.getClass().getName());
    }
    TYPES.put(name, type);
  }

  /** Removes a type; tasks of it already accepted still run. */
  public static boolean unregister(String name) {
    return TYPES.remove(name) != null;
  }

  /** The type, or null. */
  static TaskType get(String name) {
    return TYPES.get(name);
  }

  static Set<String> names() {
    return new TreeSet<>(TYPES.keySet());
  }
}
