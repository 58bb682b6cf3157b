/** Messages between the page and the text-generation worker (generate_worker.ts). */

/** A dropped or chosen file, as bytes. */
export interface FileBytes {
  name: string;
  bytes: Uint8Array;
}

/** What one generation run needs (the model is the one loaded last). */
export interface GenerateRequest {
  vocabulary: string[];
  seedText: string;
  length: number;
  temperature: number;
  seed: number;
}

/** Page → worker. */
export type ToWorker =
  { type: 'load'; files: FileBytes[] } | ({ type: 'generate' } & GenerateRequest);

/** Worker → page. */
export type FromWorker =
  | { type: 'loaded'; label: string; summary: string }
  | { type: 'token'; char: string }
  | { type: 'done'; text: string; msPerStep: number; backend: string }
  | { type: 'error'; message: string };
