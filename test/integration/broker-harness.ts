import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { userInfo } from 'node:os';
import { writeFile } from '../helpers.js';
import { freePort } from './registry-harness.js';

/** Debian's mosquitto: .ci/run installs it; elsewhere the suites that need it say it is missing. */
export const mosquittoBinary =
  spawnSync('sh', ['-c', 'command -v mosquitto || ls /usr/sbin/mosquitto'], { encoding: 'utf8' }).stdout.trim().split('\n')[0] ??
  '';
export const brokerSkip: string | false =
  mosquittoBinary === '' && process.env.CI !== 'true' ? 'mosquitto is not installed (apt-get install mosquitto)' : false;

/**
 * Starts mosquitto on a loopback port with persistence, so QoS 1 messages survive its restart. Started as root it
 * would switch to the "mosquitto" user and then fail to save its database in the test's folder: it stays as us.
 */
export async function startBroker(dir: string, fixedPort?: number): Promise<{ child: ChildProcess; url: string; port: number }> {
  mkdirSync(dir, { recursive: true });
  const port = fixedPort ?? (await freePort());
  const config = writeFile(
    dir,
    'mosquitto.conf',
    `listener ${port} 127.0.0.1\nallow_anonymous true\nuser ${userInfo().username}\npersistence true\npersistence_location ${dir}/\nautosave_interval 1\nmax_queued_messages 0\nlog_dest none\n`,
  );
  const child = spawn(mosquittoBinary || 'mosquitto', ['-c', config], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connectTcp(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) return { child, url: `mqtt://127.0.0.1:${port}`, port };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill();
  throw new Error('mosquitto did not start');
}
