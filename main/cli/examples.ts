/**
 * One or more worked examples per command, printed under its usage by `hearth help CMD` / `CMD --help` and in the
 * manual and man page. Kept apart from the commands' usage text so that text stays the compact table of forms;
 * test/unit/cli-conventions.test.ts checks that every command has an example and that each example's options are
 * ones its command takes.
 */
export const commandExamples: Readonly<Record<string, readonly string[]>> = {
  start: ['hearth start'],
  serve: [
    'hearth serve --port 7420',
    'hearth serve --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem',
    'hearth serve --replica --host 0.0.0.0',
  ],
  overview: ['hearth overview', 'hearth overview --json'],
  config: ['hearth config show', 'hearth config check /var/lib/hearth/hearth.config.json'],
  service: ['hearth service unit --user hearth --data-dir /var/lib/hearth > /etc/systemd/system/hearth.service'],
  ingest: [
    'hearth ingest sales.csv --dataset sales',
    'hearth ingest more-sales.csv --dataset sales --append',
    "hearth ingest --from sqlite:///var/lib/app.db --query 'SELECT * FROM orders' --dataset orders",
  ],
  datasets: [
    'hearth datasets show sales@2',
    'hearth datasets diff sales@1 sales@2',
    'hearth datasets export sales --out sales.parquet',
  ],
  train: [
    'hearth train --dataset sales --target churned --algorithm auto --time-budget 60',
    'hearth train --dataset sales@3 --target amount --algorithm gbdt --trees 300 --learning-rate 0.05',
    'hearth train --dataset sales --target churned --algorithm auto --max-size 64 --max-latency-us 200',
  ],
  evaluate: ['hearth evaluate --model churn@2 holdout.csv'],
  predict: ['hearth predict --model churn new-customers.csv --out scored.csv'],
  explain: [
    'hearth explain --model churn \'{"tenure": 14, "plan": "basic", "monthly": 42.5}\'',
    'hearth explain --model churn@2 rows.json --json',
  ],
  feedback: ['hearth feedback --model churn labels.csv'],
  monitor: ['hearth monitor --model churn --window day'],
  alerts: ['hearth alerts add drift-high --model churn --kind drift --threshold 0.2', 'hearth alerts list --firing'],
  retrain: ['hearth retrain churn --no-promote'],
  stream: ['hearth stream --mqtt mqtt://127.0.0.1:1883 --in sensors/in --out sensors/scored --model vibration'],
  drift: ['hearth drift --model churn --since 2026-11-01T00:00:00Z'],
  models: [
    'hearth models list',
    'hearth models schema churn@3 --json',
    'hearth models cost churn@3',
    'hearth models compress churn@3 --max-loss 0.002 --metric roc_auc',
    'hearth models compress churn@3 --choose prune-61+narrow+f32',
    'hearth models compress churn@3 --choose leaves-15+f32',
    'hearth models promote churn 3',
    'hearth models promote churn 4 --alias staging',
    'hearth models remove-alias churn --alias staging',
    'hearth models export churn@3 --out churn.onnx',
    'hearth models canary churn 4 --share 0.1',
  ],
  runs: [
    'hearth runs list',
    'hearth runs compare 3f2a 9c1b',
    'hearth runs tag 3f2a baseline',
    'hearth runs tag 3f2a baseline --remove',
  ],
  costs: ['hearth costs', 'hearth costs --weeks 4 --model churn --json'],
  remote: ['hearth remote add central oci://registry.local:5000/hearth --username ci --password-stdin < pass.txt'],
  pull: ['hearth pull oci://registry.local:5000/hearth/churn:v3 --alias staging'],
  sync: ['hearth sync status', 'hearth sync push --remote central', 'hearth sync standby --json'],
  token: ['hearth token create dashboard --role viewer --expires-days 30', 'hearth token list'],
  watch: ['hearth watch /srv/drop --dataset sales --interval 30'],
  services: ['hearth services', 'hearth services --json --data-dir /srv/hearth'],
  pipeline: ['hearth pipeline preview clean.json --limit 20', "hearth pipeline run clean.json --schedule '0 * * * *'"],
  rules: ['hearth rules suggest sales --save', 'hearth rules check sales@4 --json'],
  doctor: ['hearth doctor --json'],
  backends: ['hearth backends pin onnxruntime cpu'],
  audit: ['hearth audit --limit 50'],
  keys: ['hearth keys generate > store.key', 'hearth keys status --json'],
  retention: ['hearth retention set dataset sales --keep-versions 10'],
  gc: ['hearth gc --dry-run'],
  backup: [
    'hearth backup create --to /mnt/usb/hearth.backup',
    'hearth backup restore hearth.backup --data-dir /srv/hearth',
    'hearth backup create --push central',
  ],
  standby: [
    'hearth standby --from central --data-dir /srv/hearth-standby',
    'hearth standby --from oci://127.0.0.1:5000/hearth --insecure-http --interval 5 --port 7421',
  ],
  'promote-standby': ['hearth promote-standby --data-dir /srv/hearth-standby'],
  version: ['hearth --version', 'hearth version --json'],
  completion: [
    'hearth completion bash > /etc/bash_completion.d/hearth',
    'hearth completion fish > ~/.config/fish/completions/hearth.fish',
  ],
  man: ['hearth man > /usr/local/share/man/man1/hearth.1'],
};
