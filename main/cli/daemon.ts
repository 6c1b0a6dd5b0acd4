import { spawn, spawnSync } from 'node:child_process';

/**
 * A long-running command's own log lines: one JSON object a line when the stream is not a terminal (journald, a log
 * shipper), in the shape the background services already write ({time, level, event, message, …}); plain text on
 * a terminal.
 */
export function daemonLog(stream: NodeJS.WriteStream = process.stderr) {
  return (level: 'info' | 'warn' | 'error', event: string, message: string, fields: Record<string, unknown> = {}): void => {
    if (stream.isTTY === true) stream.write(`${message}\n`);
    else stream.write(`${JSON.stringify({ time: new Date().toISOString(), level, event, message, ...fields })}\n`);
  };
}

export type DaemonLog = ReturnType<typeof daemonLog>;

export interface Notifier {
  /** READY=1 with a status line; then WATCHDOG=1 every half WATCHDOG_USEC while `alive()` answers. */
  ready(status: string, alive: () => boolean): void;
  /** STOPPING=1, and the watchdog stops. */
  stopping(): void;
}

/**
 * systemd's notify protocol (sd_notify): datagrams of `KEY=VALUE` lines to the unix socket in $NOTIFY_SOCKET. Node
 * has no unix datagram socket, and the npm packages that add one (sd-notify, unix-dgram) are native builds, so the
 * datagram is sent by systemd's own `systemd-notify` (it ships with systemd, so it is there wherever a service manager
 * sets NOTIFY_SOCKET). The sender is then a child process, which is why the unit says NotifyAccess=all.
 * Without $NOTIFY_SOCKET this does nothing.
 */
export function systemdNotifier(log: DaemonLog, env: NodeJS.ProcessEnv = process.env): Notifier {
  const socket = env.NOTIFY_SOCKET;
  if (socket === undefined || socket === '') return { ready: () => undefined, stopping: () => undefined };
  const available = spawnSync('systemd-notify', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!available)
    log(
      'warn',
      'notify',
      'NOTIFY_SOCKET is set but systemd-notify is not installed: the service manager is not told of readiness',
    );
  const send = (args: string[]): void => {
    if (!available) return;
    const child = spawn('systemd-notify', args, {
      env: { ...process.env, NOTIFY_SOCKET: socket },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      if (code !== 0) log('warn', 'notify', `systemd-notify ${args.join(' ')} failed: ${stderr.trim() || `status ${code}`}`);
    });
  };
  let watchdog: NodeJS.Timeout | undefined;
  return {
    ready: (status, alive) => {
      send(['--ready', `STATUS=${status}`]);
      const usec = Number(env.WATCHDOG_USEC);
      // WATCHDOG_PID, when set, names the process the watchdog is for: a child that inherited the variables is not it.
      const forUs = env.WATCHDOG_PID === undefined || env.WATCHDOG_PID === '' || Number(env.WATCHDOG_PID) === process.pid;
      if (Number.isFinite(usec) && usec > 0 && forUs) {
        watchdog = setInterval(
          () => {
            // Fed only while the event loop turns and the store answers: a wedged server is restarted, not kept.
            let ok = false;
            try {
              ok = alive();
            } catch {
              // a store that throws is not alive
            }
            if (ok) send(['WATCHDOG=1']);
          },
          Math.max(1, Math.floor(usec / 2000)),
        );
        watchdog.unref();
      }
    },
    stopping: () => {
      clearInterval(watchdog);
      send(['STOPPING=1']);
    },
  };
}
