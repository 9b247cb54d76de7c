import { GraphQLDateTime } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { DeadLetterRedriveTask as RedriveTaskState } from '../models/dead-letter-redrive';
import { REDRIVE_LIMITS } from '../models/dead-letter-redrive';
import { DeadLetterRedriveStatusEnum } from './enums';

@InputType({
  description: 'Which entries to redrive (unresolved ones matching a filter, or explicit order ids), how many at most, and how fast',
})
export class DeadLetterRedriveInput {
  @Field(() => String, { nullable: true }) failureStatus?: string | null;
  @Field(() => String, { nullable: true }) customerId?: string | null;
  @Field(() => Float, { nullable: true, description: 'Only entries moved to the queue more than this many hours ago (fractions allowed)' })
  olderThanHours?: number | null;
  @Field(() => String, { nullable: true, description: `Case-insensitive part of the failure reason, 1–${REDRIVE_LIMITS.reasonContains} characters` })
  reasonContains?: string | null;
  @Field(() => [ID], { nullable: true, description: `These entries (1–${REDRIVE_LIMITS.orderIds}) instead of the four filters` })
  orderIds?: string[] | null;
  @Field(() => Int, { nullable: true, description: `At most this many entries, 1–${REDRIVE_LIMITS.capMax} (default ${REDRIVE_LIMITS.capDefault})` })
  cap?: number | null;
  @Field(() => Int, { nullable: true, description: 'Entries resolved per second, 1–DLQ_REDRIVE_MAX_RATE (default DLQ_REDRIVE_DEFAULT_RATE)' })
  ratePerSecond?: number | null;
  @Field(() => String, { nullable: true, description: `Recorded on every resolution, at most ${REDRIVE_LIMITS.notes} characters` })
  notes?: string | null;
}

@ObjectType({ description: 'The filter a redrive task was started with' })
export class DeadLetterRedriveFilterView {
  @Field(() => String, { nullable: true }) failureStatus!: string | null;
  @Field(() => String, { nullable: true }) customerId!: string | null;
  @Field(() => Float, { nullable: true }) olderThanHours!: number | null;
  @Field(() => String, { nullable: true }) reasonContains!: string | null;
  @Field(() => [ID], { nullable: true }) orderIds!: string[] | null;
}

@ObjectType({ description: 'An entry a redrive task could not resolve' })
export class DeadLetterRedriveFailure {
  @Field(() => ID) orderId!: string;
  @Field(() => String, { description: 'ALREADY_RESOLVED (resolved by someone else meanwhile), NOT_FOUND, CONFLICT, …' }) code!: string;
  @Field(() => String) message!: string;
}

@ObjectType({ description: 'A bulk redrive of dead letter queue entries: each resolved as MANUAL_RETRY by the actor, at a set rate' })
export class DeadLetterRedriveTask {
  @Field(() => ID) taskId!: string;
  @Field(() => DeadLetterRedriveStatusEnum) status!: DeadLetterRedriveStatusEnum;
  @Field(() => DeadLetterRedriveFilterView) filter!: DeadLetterRedriveFilterView;
  @Field(() => Int) cap!: number;
  @Field(() => Int) ratePerSecond!: number;
  @Field(() => Int, { description: 'Entries selected when the task was started' }) total!: number;
  @Field(() => Int, { description: 'Entries the task resolved' }) done!: number;
  @Field(() => Int, { description: 'Entries it could not resolve (done + failed = total once COMPLETED)' }) failed!: number;
  @Field(() => [DeadLetterRedriveFailure], { description: `The first ${REDRIVE_LIMITS.failuresKept} failures` }) failures!: DeadLetterRedriveFailure[];
  @Field(() => String, { description: 'Who started it; every entry is resolved in their name' }) actor!: string;
  @Field(() => String, { nullable: true }) notes!: string | null;
  @Field(() => GraphQLDateTime) createdAt!: Date;
  @Field(() => GraphQLDateTime, { nullable: true }) startedAt!: Date | null;
  @Field(() => GraphQLDateTime, { nullable: true }) finishedAt!: Date | null;
  @Field(() => GraphQLDateTime, { nullable: true }) cancelRequestedAt!: Date | null;
}

@ObjectType({ description: 'One page of redrive tasks, newest first' })
export class DeadLetterRedriveTaskPage {
  @Field(() => [DeadLetterRedriveTask]) items!: DeadLetterRedriveTask[];
  @Field(() => Int) total!: number;
  @Field(() => Int) limit!: number;
  @Field(() => Int) offset!: number;
}

export function toRedriveTaskView(task: RedriveTaskState): DeadLetterRedriveTask {
  return {
    taskId: task.taskId,
    status: task.status,
    filter: { ...task.filter },
    cap: task.cap,
    ratePerSecond: task.ratePerSecond,
    total: task.total,
    done: task.done,
    failed: task.failed,
    failures: task.failures,
    actor: task.actor,
    notes: task.notes,
    createdAt: task.createdAt,
    startedAt: task.startedAt,
    finishedAt: task.finishedAt,
    cancelRequestedAt: task.cancelRequestedAt,
  };
}
