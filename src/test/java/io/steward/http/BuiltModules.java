package io.steward.http;

import io.steward.spi.StewardModule;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The modules this build contains. The dashboard and metrics tests cover the schedule module's panel and
 * meters only where it is built: the branch that adds them was written while the module was being merged.
 */
final class BuiltModules {

  private BuiltModules() {
  }

  static boolean has(String name) {
    return ServiceLoader.load(StewardModule.class).stream().anyMatch(p -> p.get().name().equals(name));
  }

  /** {@code modules} plus {@code optional} when it is built. */
  static List<String> with(List<String> modules, String optional) {
    List<String> all = new ArrayList<>(modules);
    if (has(optional)) {
      all.add(optional);
    }
    return all;
  }
}
