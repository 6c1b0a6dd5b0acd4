/**
 * The CLI features that do not go through the typed client, each with the reason. Every other command calls the API
 * (an in-process client as the local admin), so it is also an API method; test/unit/cli-docs.test.ts checks that each
 * name here is a real command and that every command file reaching into the engine has its command listed, and
 * docs/cli.md prints the list.
 */
export const hostOnlyCommands: Record<string, string> = {
  version:
    "reports this installation's components without opening a data folder (system.info is a running engine's view, " +
    'with the same component versions)',
  completion: 'prints a shell script generated from the command table; it involves no data',
  man: 'prints the man page generated from the command table; it involves no data',
  serve: 'runs the API server itself: it opens the data folder and is what callers connect to',
  start: 'runs the API server and the console on this machine: it is what callers connect to',
  standby:
    'runs the API server itself over a data folder it replaces with each restore; sync.standby reports it and ' +
    'sync.promote-standby promotes it',
  config:
    "reports this process's environment and a config file on this machine, without opening the store: settings " +
    'are read by the host at start, before any API exists',
  service: 'prints a unit file for this machine’s service manager; it involves no data',
  stream:
    'a long-running MQTT subscriber that is itself a caller of the API, through the service door, with its own ' +
    'state beside the store',
  watch: 'a long-running folder watcher that is itself a caller of the API, through the service door',
  'token reset':
    'replaces the bootstrap (admin) credential the server itself authenticates with: it needs the data folder, ' +
    'not an identity, and works when no token is known',
  'pipeline run --schedule':
    'a pipeline schedule is a process on this machine that runs pipelines.run on a timer (as schedule:<file>); ' +
    'each run is an API call, the schedule is not',
  predict:
    'scores a file on this machine in one pass (no row cap, not in the prediction log); models.predict is the API ' +
    'method (10,000 rows a call, logged). To move: an uploads-based batch method',
  'backup create --to':
    'writes to any path on this machine; backups.create (used without --to) writes only into the backup folder',
  'datasets export --format parquet':
    'Parquet is written from the stored frame onto this machine’s disk; datasets.export (used for CSV) returns text',
};
