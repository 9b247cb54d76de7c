import type { GraphQLContext } from '../server/graphql-context';
import { toOrderView } from '../schema/order.view';

/** Federation entry points: the gateway hands us `{ __typename: "Order", id }` representations, loaded in one batch. */
export const orderReferenceResolvers = {
  Order: {
    async __resolveReference(reference: { id: string }, context: GraphQLContext) {
      const order = await context.loaders.orderById.load(reference.id);
      return order ? toOrderView(order) : null;
    },
  },
};
