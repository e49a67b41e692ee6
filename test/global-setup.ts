/**
 * Runs once before the test files. Suites that need shared, slow-to-start peers (the test control
 * plane) start them here so that each file does not pay for it.
 */
export async function globalSetup(): Promise<void> {}

export async function globalTeardown(): Promise<void> {}
