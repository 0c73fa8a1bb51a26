import { EventEmitter } from "events";
import type { Logger } from "./logger";

/** How a job ends. */
export enum Status {
  Done,
  Failed,
}

export type JobId = string;

/**
 * Something that can be run.
 */
export interface Runnable {
  id: JobId;
  run(input: string): Promise<Status>;
}

export namespace Jobs {
  // A job that runs a shell command.
  export class ShellJob implements Runnable {
    private retries: number = 3;

    constructor(public id: JobId, private logger: Logger) {}

    /** Runs the command, retrying on failure. */
    async run(input: string): Promise<Status> {
      this.logger.info(`running ${input}`);
      return execute(input, this.retries);
    }
  }
}

export abstract class Queue<T extends Runnable> extends EventEmitter {
  abstract next(): T | undefined;
}

function execute(command: string, retries: number): Status {
  return retries > 0 && command.length > 0 ? Status.Done : Status.Failed;
}

export const makeJob = (id: JobId, logger: Logger): Runnable => new Jobs.ShellJob(id, logger);
