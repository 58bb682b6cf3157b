/** Streams on the cpu backend: every family equals its whole-sequence call, on step kernels. */
import { defineStreamSuite } from '@rnnkit/conformance';
import { beforeAll, describe, it } from 'vitest';
import { init } from '../src/index.js';

defineStreamSuite({ describe, it, beforeAll }, { backend: 'cpu', init, expectFused: true });
