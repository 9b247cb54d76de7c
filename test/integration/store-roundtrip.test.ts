import { getModelForClass, index, prop } from '@typegoose/typegoose';
import mongoose, { type Connection } from 'mongoose';
import { connectMongo, ensureIndexes } from '../../src/store/mongo';
import { TEST_MONGODB_URI } from '../support/test-infra';
import { uniqueName } from '../support/test-service';

@index({ code: 1 }, { unique: true })
@index({ size: 1 })
class Widget {
  @prop({ required: true, type: String })
  code!: string;

  @prop({ required: true, type: Number })
  size!: number;
}

describe('typegoose on the real store', () => {
  let connection: Connection;
  const WidgetModel = () => getModelForClass(Widget, { existingConnection: connection, options: { customName: 'widgets' } });

  beforeAll(async () => {
    connection = await connectMongo(TEST_MONGODB_URI, uniqueName('roundtrip'));
    await ensureIndexes([WidgetModel()]);
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('creates the unique index it was asked for', async () => {
    const indexes = await WidgetModel().collection.indexes();
    expect(indexes).toEqual(expect.arrayContaining([expect.objectContaining({ key: { code: 1 }, unique: true })]));
  });

  it('creates every declared index, secondary ones included', async () => {
    const keys = (await WidgetModel().collection.indexes()).map((index) => index.key);
    expect(keys).toEqual(expect.arrayContaining([{ _id: 1 }, { code: 1 }, { size: 1 }]));
  });

  it('inserts, refuses a duplicate key, and finds what was stored', async () => {
    await WidgetModel().create({ code: 'W-1', size: 3 });
    await expect(WidgetModel().create({ code: 'W-1', size: 4 })).rejects.toMatchObject({ code: 11000 });
    const found = await WidgetModel().find({ code: 'W-1' }).lean();
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ code: 'W-1', size: 3 });
    expect(found[0]._id).toBeInstanceOf(mongoose.Types.ObjectId);
  });
});
