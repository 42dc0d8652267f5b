#!/usr/bin/env node
/** The orchestrator process: `npm start`. Configuration comes from NFV_* environment variables (see README). */
import { startApplication, StartupError, type Application } from './application.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';

const SHUTDOWN_GRACE_MS = 15000;

async function main(): Promise<void> {
  let application: Application;
  try {
    const config = loadConfig();
    application = await startApplication(config, createLogger(config.logLevel));
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StartupError) {
      process.stderr.write(`nfv-mano: cannot start: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      application.logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    application.logger.info({ signal }, 'shutting down');
    const forced = setTimeout(() => {
      application.logger.error('shutdown took too long: exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    forced.unref();
    application.close().then(
      () => {
        application.logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        application.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
