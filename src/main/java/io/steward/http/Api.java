package io.steward.http;

import io.vertx.ext.web.Router;

/**
 * A group of REST routes for one capability, and the OpenAPI fragment that documents them
 * ({@code paths} and {@code components}, merged into {@code /openapi.json}). A test checks that the router
 * and the document list the same routes.
 */
interface Api {

  void mount(Router router, Forward forward);

  /** Classpath resource of this group's OpenAPI fragment. */
  String openApi();
}
