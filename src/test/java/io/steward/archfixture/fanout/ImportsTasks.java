package io.steward.archfixture.fanout;

import io.steward.archfixture.tasks.TaskThing;

/** Bad: a module (fanout) imports another module's class. */
public final class ImportsTasks {
  TaskThing thing;
}
