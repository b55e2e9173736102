import { describe, expect, it } from 'vitest';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { consumer, eventually, producer, services, topic, unique } from '../helpers.js';

describe('schema registry (Apicurio ccompat) with @kafkajs/confluent-schema-registry', () => {
  it('registers an Avro schema, encodes, produces, consumes and decodes', async () => {
    const registry = new SchemaRegistry({ host: services().registryUrl });
    const subject = unique('rootline.test-value');
    const schema = {
      type: 'record',
      name: 'Ping',
      namespace: 'dev.rootline.test',
      fields: [
        { name: 'node', type: 'string' },
        { name: 'rows', type: 'long' },
        { name: 'ratio', type: ['null', 'double'], default: null },
      ],
    };
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
    expect(id).toBeGreaterThan(0);
    expect(await registry.getLatestSchemaId(subject)).toBe(id);

    const value = { node: 'clean_transactions', rows: 10_000, ratio: 0.25 };
    const encoded = await registry.encode(id, value);
    // Confluent wire format: magic byte 0, then the 4-byte schema id.
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);

    const t = await topic();
    const p = await producer();
    await p.send({ topic: t, messages: [{ key: 'churn', value: encoded }] });

    const got: unknown[] = [];
    const c = consumer(unique('g'));
    await c.connect();
    await c.subscribe({ topic: t, fromBeginning: true });
    await c.run({
      eachMessage: async ({ message }) => {
        got.push(await registry.decode(message.value!));
      },
    });
    await eventually(() => (got.length === 1 ? true : undefined), 30_000, 'the Avro message');
    expect(got[0]).toEqual(value);

    // A backward-compatible evolution (a field with a default) is accepted under a new id.
    const evolved = { ...schema, fields: [...schema.fields, { name: 'pipeline', type: 'string', default: 'unknown' }] };
    const second = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(evolved) }, { subject });
    expect(second.id).not.toBe(id);
    // ...and a message written with the old schema still decodes.
    expect(await registry.decode(encoded)).toEqual(value);
  });

  it('rejects an unknown schema id on decode', async () => {
    const registry = new SchemaRegistry({ host: services().registryUrl });
    const bogus = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2, 3]);
    await expect(registry.decode(bogus)).rejects.toThrow();
  });
});
