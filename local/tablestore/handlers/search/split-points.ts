/**
 * ComputeSplitPointsBySize for wide tables (docs/protocol-search.md §9): walks the table in primary-key order,
 * adding up stored row sizes, and cuts a split wherever a split's size reaches the requested size.
 */
import { encodePrimaryKey } from '../../../../lib/tablestore/protocol/plainbuffer';
import type { ApiHandler } from '../context';
import { errors } from '../../errors';
import { decodeSearch, encodeSearch, type ComputeSplitPointsBySizeRequestMsg } from '../../search/proto';
import { decodeKey } from '../wide/keys';
import { requireWideTable } from '../wide/table';

/** The unit of split_size unless split_size_unit_in_byte says otherwise: 100 MB. */
const DEFAULT_UNIT_BYTES = 100 * 1024 * 1024;
const MAX_SPLIT_POINTS = 10_000;

export const computeSplitPointsBySize: ApiHandler = async (ctx, body) => {
  const req = decodeSearch<ComputeSplitPointsBySizeRequestMsg>('ComputeSplitPointsBySizeRequest', body);
  ctx.authorize('ots:ComputeSplitPointsBySize', [req.table_name]);
  const table = requireWideTable(ctx.catalog, req.table_name);
  const size = Number(req.split_size);
  const unit = req.split_size_unit_in_byte !== undefined ? Number(req.split_size_unit_in_byte) : DEFAULT_UNIT_BYTES;
  if (!(size > 0))
    throw errors.parameterInvalid(`Invalid split_size: ${String(req.split_size)}. It must be greater than 0.`);
  if (!(unit > 0))
    throw errors.parameterInvalid(`Invalid split_size_unit_in_byte: ${String(req.split_size_unit_in_byte)}.`);
  const splitBytes = size * unit;
  const points: Uint8Array[] = [];
  let acc = 0;
  let cutNext = false;
  for (const { key, value } of ctx.store.scan(table.space)) {
    if (cutNext) {
      points.push(encodePrimaryKey(decodeKey(table.def, key)));
      acc = 0;
      cutNext = false;
      if (points.length >= MAX_SPLIT_POINTS) break;
    }
    acc += key.length + value.length;
    if (acc >= splitBytes) cutNext = true;
  }
  return encodeSearch('ComputeSplitPointsBySizeResponse', {
    consumed: { capacity_unit: { read: 1, write: 0 } },
    schema: table.def.primaryKey.map((c) =>
      c.autoIncrement ? { name: c.name, type: c.type, option: 1 } : { name: c.name, type: c.type },
    ),
    split_points: points,
    locations: [{ location: ctx.instance, repeat: points.length + 1 }],
  });
};
