package io.steward.archfixture.tasks;

/** Good: public, and on the tasks module's surface (ArchitectureTest.SURFACE). */
public interface TaskType {
  /** Good: nested in a surface interface, and on the surface. */
  interface Body {
  }
}
