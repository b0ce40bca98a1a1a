import { LAUNCHER_TEST_ENV } from './launcher-env-fixture';

/** The launcher's environment for the mocked-client tests, as the construct would set it. */
Object.assign(process.env, LAUNCHER_TEST_ENV);
