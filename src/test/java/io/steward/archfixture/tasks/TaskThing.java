package io.steward.archfixture.tasks;

/** A class of the tasks module. */
public final class TaskThing {
}
