import { join } from 'node:path';
import madge from 'madge';

const ROOT = join(__dirname, '..', '..');

/** The layers import one way (models ← use cases ← resolvers/REST ← servers): no module may reach itself again. */
describe('src/ imports', () => {
  it('form no cycle', async () => {
    const graph = await madge(join(ROOT, 'src'), { fileExtensions: ['ts'], tsConfig: join(ROOT, 'tsconfig.json') });
    expect(Object.keys(graph.obj()).length).toBeGreaterThan(50);
    expect(graph.circular()).toEqual([]);
  });
});
