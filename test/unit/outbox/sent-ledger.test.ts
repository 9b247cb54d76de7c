import { SentLedger } from '../../../src/events/outbox/sent-ledger';

describe('SentLedger', () => {
  it('knows how far each order was sent, and what the store has not been told', () => {
    const ledger = new SentLedger();
    expect(ledger.sentUpTo('A')).toBe(0);
    ledger.markSent('A', 3);
    ledger.markSent('B', 1);
    expect(ledger.sentUpTo('A')).toBe(3);
    expect(ledger.unrecorded(10)).toEqual([
      { orderId: 'A', upToSeq: 3 },
      { orderId: 'B', upToSeq: 1 },
    ]);
    expect(ledger.unrecorded(1)).toEqual([{ orderId: 'A', upToSeq: 3 }]);
  });

  it('leaves a position unrecorded when it moved on after the mark was taken', () => {
    const ledger = new SentLedger();
    ledger.markSent('A', 1);
    const marks = ledger.unrecorded(10);
    ledger.markSent('A', 2); // sent more while the store was being told about 1
    ledger.recorded(marks, Date.now());
    expect(ledger.unrecorded(10)).toEqual([{ orderId: 'A', upToSeq: 2 }]);
  });

  it('forgets recorded positions, but not while a read that began before the record is going on', async () => {
    const ledger = new SentLedger();
    ledger.markSent('A', 1);
    ledger.markSent('B', 1);
    let finishRead!: () => void;
    const read = ledger.whileReading(() => new Promise<void>((resolve) => (finishRead = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 5));
    ledger.recorded(ledger.unrecorded(10), Date.now());
    ledger.forgetRecorded();
    // The read may still return A and B as pending: the ledger must still say they were sent.
    expect([ledger.sentUpTo('A'), ledger.sentUpTo('B')]).toEqual([1, 1]);
    finishRead();
    await read;
    ledger.forgetRecorded(Date.now() + 1);
    expect([ledger.sentUpTo('A'), ledger.sentUpTo('B')]).toEqual([0, 0]);
  });

  it('never forgets what the store has not recorded', () => {
    const ledger = new SentLedger();
    ledger.markSent('A', 4);
    ledger.forgetRecorded(Date.now() + 60_000);
    expect(ledger.sentUpTo('A')).toBe(4);
  });
});
