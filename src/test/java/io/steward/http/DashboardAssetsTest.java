package io.steward.http;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The dashboard's vendored browser clients are the files of the npm packages the Node.js tests use (the
 * versions pinned in {@code src/test/js/package.json}), unchanged: what the browser test proves about the
 * npm clients holds for what the jar serves.
 */
class DashboardAssetsTest {

  static final Path VENDOR = Path.of("src/main/resources/webroot/dashboard/vendor");
  static final Path NODE_MODULES = Path.of("src/test/js/node_modules");

  @Test
  void the_vendored_bridge_clients_and_chart_library_are_the_npm_packages_files() throws Exception {
    if (!Files.isDirectory(NODE_MODULES.resolve("sockjs-client"))) {
      fail("The Node.js test clients are not installed: run `npm ci` in " + NODE_MODULES.getParent().toAbsolutePath()
        + " (.ci/run does it before `mvn -B verify`)");
    }
    Map<String, Path> files = Map.of(
      "sockjs.min.js", NODE_MODULES.resolve("sockjs-client/dist/sockjs.min.js"),
      "sockjs.min.js.map", NODE_MODULES.resolve("sockjs-client/dist/sockjs.min.js.map"),
      "vertx-eventbus.js", NODE_MODULES.resolve("@vertx/eventbus-bridge-client.js/vertx-eventbus.js"),
      "uPlot.iife.min.js", NODE_MODULES.resolve("uplot/dist/uPlot.iife.min.js"),
      "uPlot.min.css", NODE_MODULES.resolve("uplot/dist/uPlot.min.css"));
    files.forEach((name, npm) -> {
      try {
        assertThat(Files.mismatch(VENDOR.resolve(name), npm))
          .as("%s differs from %s: copy it again (see %s)", VENDOR.resolve(name), npm, VENDOR.resolve("README.md"))
          .isEqualTo(-1L);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertThat(VENDOR.resolve("LICENSE-sockjs-client.txt")).content().contains("MIT License");
    assertThat(VENDOR.resolve("LICENSE-vertx-eventbus-bridge-client.txt")).content().contains("Apache License");
    assertThat(VENDOR.resolve("LICENSE-uplot.txt")).content().contains("MIT License").contains("Leon Sorokin");
  }
}
