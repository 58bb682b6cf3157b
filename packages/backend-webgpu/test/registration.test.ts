/** The registration contract of @rnnkit/conformance, as every backend package meets it. */
import { beforeAll, describe, it } from 'vitest';
import { defineRegistrationSuite } from '@rnnkit/conformance';
import { backendName, init, kernelConfigs } from '../src/node.js';
import { describeGpu } from './gpu.js';

describeGpu('registration', () => {
  defineRegistrationSuite(
    { describe, it, beforeAll },
    { backend: 'webgpu', pkg: { backendName, kernelConfigs, init } },
  );
});
