import { toDeadLetterEntryView } from '../schema/dead-letter.view';
import type { GraphQLContext } from '../server/graphql-context';

/** Federation entry point for `{ __typename: "DeadLetterEntry", orderId }` representations, loaded in one batch. */
export const deadLetterReferenceResolvers = {
  DeadLetterEntry: {
    async __resolveReference(reference: { orderId: string }, context: GraphQLContext) {
      const entry = await context.loaders.deadLetterByOrderId.load(reference.orderId);
      return entry ? toDeadLetterEntryView(entry) : null;
    },
  },
};
