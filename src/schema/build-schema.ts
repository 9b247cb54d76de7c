import 'reflect-metadata';
import { buildSchema } from 'type-graphql';
import { createLiveBus, type LiveBus } from '../events/live-bus';
import { referenceResolvers, resolverClasses } from '../resolvers';
import { subgraphSdl, toSubgraphSchema } from './federation';

async function buildTypeGraphqlSchema(pubSub: LiveBus) {
  return buildSchema({ resolvers: resolverClasses, pubSub, validate: false, emitSchemaFile: false });
}

/** The executable Federation 2 subgraph schema served at /graphql. */
export async function buildOrderSubgraph(pubSub: LiveBus) {
  return toSubgraphSchema(await buildTypeGraphqlSchema(pubSub), referenceResolvers);
}

/** The subgraph SDL as committed in schema.graphql (what a gateway composes). */
export async function printOrderSubgraphSdl(): Promise<string> {
  return subgraphSdl(await buildTypeGraphqlSchema(createLiveBus()));
}
