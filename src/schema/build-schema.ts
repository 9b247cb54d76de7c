import 'reflect-metadata';
import { getEventListeners, setMaxListeners } from 'node:events';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchema } from 'type-graphql';
import { referenceResolvers, resolverClasses } from '../resolvers';
import { subgraphSdl, toSubgraphSchema } from './federation';

export function createPubSubBus() {
  // Each subscriber is one listener on its channel; Node warns past 10 per event type, and a thousand subscribers are normal.
  const eventTarget = new EventTarget();
  setMaxListeners(0, eventTarget);
  return Object.assign(createPubSub({ eventTarget }), {
    /** Subscribers currently listening on a channel (for leak checks). */
    listenerCount: (channel: string) => getEventListeners(eventTarget, channel).length,
  });
}
export type PubSubBus = ReturnType<typeof createPubSubBus>;

async function buildTypeGraphqlSchema(pubSub: PubSubBus) {
  return buildSchema({ resolvers: resolverClasses, pubSub, validate: false, emitSchemaFile: false });
}

/** The executable Federation 2 subgraph schema served at /graphql. */
export async function buildOrderSubgraph(pubSub: PubSubBus) {
  return toSubgraphSchema(await buildTypeGraphqlSchema(pubSub), referenceResolvers);
}

/** The subgraph SDL as committed in schema.graphql (what a gateway composes). */
export async function printOrderSubgraphSdl(): Promise<string> {
  return subgraphSdl(await buildTypeGraphqlSchema(createPubSubBus()));
}
