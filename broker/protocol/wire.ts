// The generated protobuf code, typed. generated/shoal_pb.ts is pbjs's static module compiled without
// type checks (@ts-nocheck); generated/shoal_pb_types.d.ts is pbts's description of that same module.
// Joining them here lets every other file use the generated classes with full types.

import { shoal as untyped } from './generated/shoal_pb.js';
import type { shoal as typed } from './generated/shoal_pb_types.js';

export const wire = untyped as unknown as typeof typed;
export type { typed as wireTypes };
