#!/usr/bin/env node
/** The host agent process, `nfv-agent` (`npm run agent`). Configuration comes from NFV_AGENT_* variables. */
import os from 'node:os';
import { ConfigError, createLogger, loadAgentConfig } from '../../platform/index.js';
import { AgentError, HostAgent } from './agent.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadAgentConfig(process.env, os.hostname());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`nfv-agent: cannot start: ${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel).child({ agent: config.hostName });
  const agent = new HostAgent(config, logger);
  try {
    await agent.start();
  } catch (error) {
    if (!(error instanceof AgentError)) throw error;
    process.stderr.write(`nfv-agent: cannot start: ${error.message}\n`);
    process.exit(1);
  }
  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'stopping');
    agent.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
