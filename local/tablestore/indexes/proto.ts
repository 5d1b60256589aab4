/**
 * CreateIndex / DropIndex request messages (docs/protocol-indexes.md §1), proto2 text with the field numbers
 * of the official SDKs' table_store.proto, parsed by protobufjs at module load. IndexMeta is the same message
 * CreateTable and DescribeTable carry.
 */
import protobuf from 'protobufjs';
import type { IndexMeta } from '../../../lib/tablestore/protocol/proto/wide';

const INDEX_PROTO = `
syntax = "proto2";
package ots;

enum IndexUpdateMode { IUM_ASYNC_INDEX = 0; IUM_SYNC_INDEX = 1; }
enum IndexType { IT_GLOBAL_INDEX = 0; IT_LOCAL_INDEX = 1; }
message IndexMeta {
  required string name = 1;
  repeated string primary_key = 2;
  repeated string defined_column = 3;
  required IndexUpdateMode index_update_mode = 4;
  required IndexType index_type = 5;
}
message CreateIndexRequest {
  required string main_table_name = 1;
  required IndexMeta index_meta = 2;
  optional bool include_base_data = 3;
}
message DropIndexRequest {
  required string main_table_name = 1;
  required string index_name = 2;
}
`;

export const indexRoot: protobuf.Root = protobuf.parse(INDEX_PROTO, { keepCase: true }).root;

export interface CreateIndexRequest {
  main_table_name: string;
  index_meta: IndexMeta;
  include_base_data?: boolean;
}

export interface DropIndexRequest {
  main_table_name: string;
  index_name: string;
}
