/**
 * The MIME StructureParser (libs/mime/src/structure.ts: `new StructureParser(); p.write(buf);
 * p.end(): MessageStructure`), behind one small seam so the engine can run without it.
 */
import type { MessageStructure } from '../../mime/src/types.js';
import { StructureParser } from '../../mime/src/structure.js';

export interface StructureParserLike {
  write(chunk: Buffer): void;
  end(): MessageStructure;
}

/** A new parser (null would mean "no MIME library": callers then skip caching structures). */
export async function newStructureParser(): Promise<StructureParserLike | null> {
  return new StructureParser();
}
