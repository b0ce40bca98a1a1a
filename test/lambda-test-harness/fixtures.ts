/** The original protocol's three events, as the seed project's README gives them. */
export const SEED_UNIT = { operation: 'unit', function: 'ImageProcessingService', resultsTable: 'HarnessResults', testId: 'MyTestRun', event: { operation: 'ping' } };
export const SEED_LOAD = { operation: 'load', iterations: 100, function: 'TestHarness', event: SEED_UNIT };
export const SEED_HTTPS = { options: { host: 'abc.execute-api.us-east-1.amazonaws.com', path: '/prod/ImageProcessingService', method: 'POST' }, data: { operation: 'getSample' } };
