import { GraphQLError } from 'graphql';
import { Arg, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { DomainError } from '../models/order.errors';
import type { DeadLetterRedriveTask as RedriveTaskState } from '../models/dead-letter-redrive';
import { DeadLetterRedriveInput, DeadLetterRedriveTask, DeadLetterRedriveTaskPage, toRedriveTaskView } from '../schema/dead-letter-redrive.type';
import type { GraphQLContext } from '../server/graphql-context';

/** Bulk redrive of the dead letter queue (issue 13 §1). Routing only: parse in the use case, return the view. */
@Resolver()
export class DeadLetterRedriveResolver {
  @Mutation(() => DeadLetterRedriveTask, {
    description: 'Start a bulk redrive: the matching unresolved entries are selected now and resolved as MANUAL_RETRY by the caller, at the given rate',
  })
  async startDeadLetterRedrive(
    @Arg('input', () => DeadLetterRedriveInput) input: DeadLetterRedriveInput,
    @Ctx() { useCases, request }: GraphQLContext,
  ): Promise<DeadLetterRedriveTask> {
    return toRedriveTaskView(await useCases.deadLetterRedrives.start(request, { ...input }));
  }

  @Mutation(() => DeadLetterRedriveTask, { description: 'Stop a redrive between two entries; NOT_FOUND when unknown, CONFLICT once finished' })
  async cancelDeadLetterRedrive(@Arg('taskId', () => ID) taskId: string, @Ctx() { useCases, request }: GraphQLContext): Promise<DeadLetterRedriveTask> {
    return toRedriveTaskView(await useCases.deadLetterRedrives.cancel(request, taskId));
  }

  @Query(() => DeadLetterRedriveTask, { nullable: true, description: 'A redrive task; null when there is none (in your tenant)' })
  async deadLetterRedriveTask(@Arg('taskId', () => ID) taskId: string, @Ctx() { useCases, request }: GraphQLContext): Promise<DeadLetterRedriveTask | null> {
    const task = await useCases.deadLetterRedrives.get(request, taskId);
    return task && toRedriveTaskView(task);
  }

  @Query(() => DeadLetterRedriveTaskPage, { description: 'Redrive tasks, newest first' })
  async deadLetterRedriveTasks(
    @Ctx() { useCases, request }: GraphQLContext,
    @Arg('limit', () => Int, { nullable: true, description: '1–100 (default 20)' }) limit?: number | null,
    @Arg('offset', () => Int, { nullable: true, description: 'Tasks to skip (default 0)' }) offset?: number | null,
  ): Promise<DeadLetterRedriveTaskPage> {
    const page = await useCases.deadLetterRedrives.list(request, { limit, offset });
    return { items: page.tasks.map(toRedriveTaskView), total: page.total, limit: page.limit, offset: page.offset };
  }

  @Subscription(() => DeadLetterRedriveTask, {
    subscribe: ({ args, context }: { args: { taskId: string }; context: GraphQLContext }) =>
      // graphql-ws answers a refused subscription with the error as thrown: a domain error goes out with its code.
      context.useCases.deadLetterRedrives.progressOf(context.request, args.taskId).catch((error: unknown) => {
        if (error instanceof DomainError) throw new GraphQLError(error.message, { extensions: { code: error.code, ...error.details } });
        throw error;
      }),
    description: 'A redrive task now, then each change of its progress (at most about 4 a second), through any replica; ends after the final state',
  })
  deadLetterRedriveProgress(@Root() task: RedriveTaskState, @Arg('taskId', () => ID) _taskId: string): DeadLetterRedriveTask {
    return toRedriveTaskView(task);
  }
}
