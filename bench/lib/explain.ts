import type { Collection, Db, Document } from 'mongodb';

/** A query plan as a chain of stages, outermost first: `SORT ← FETCH ← IXSCAN tenantId_1_status_1_…`. */
export function planStages(plan: Document | undefined): string {
  const stages: string[] = [];
  for (let node = plan; node; node = node.inputStage ?? node.inputStages?.[0]) {
    stages.push(node.indexName ? `${node.stage} ${node.indexName}` : String(node.stage));
  }
  return stages.length ? stages.join(' ← ') : 'no plan in the explain output';
}

export interface Explained {
  stages: string;
  /** A blocking, in-memory SORT: every document the scan returns is read and sorted before the first is returned. */
  inMemorySort: boolean;
}

const explained = (plan: Document | undefined): Explained => {
  const stages = planStages(plan);
  return { stages, inMemorySort: /(^| )SORT( |$)/.test(stages) };
};

/** The winning plan of a find with the given sort/limit/projection (queryPlanner verbosity: nothing is executed). */
export async function explainFind(
  collection: Collection<Document>,
  filter: Document,
  options: { projection?: Document; sort?: Document; limit?: number },
): Promise<Explained> {
  let cursor = collection.find(filter, options.projection ? { projection: options.projection } : {});
  if (options.sort) cursor = cursor.sort(options.sort);
  if (options.limit) cursor = cursor.limit(options.limit);
  const result = await cursor.explain('queryPlanner');
  return explained(result.queryPlanner?.winningPlan);
}

/** The winning plan of countDocuments(filter): the driver sends it as this aggregation. */
export async function explainCount(db: Db, collection: Collection<Document>, filter: Document): Promise<Explained> {
  const result = await db.command({
    explain: { aggregate: collection.collectionName, pipeline: [{ $match: filter }, { $group: { _id: 1, n: { $sum: 1 } } }], cursor: {} },
    verbosity: 'queryPlanner',
  });
  return explained(result.queryPlanner?.winningPlan ?? result.stages?.[0]?.$cursor?.queryPlanner?.winningPlan);
}

/** Both plans in a note's words. */
export function planNote(find: Explained, count: Explained | null): string {
  return `find ${find.stages}${find.inMemorySort ? ' (in-memory SORT)' : ''}${count ? `; count ${count.stages}` : ''}`;
}
