import type { monitoringMethods } from '../contracts/monitoring.js';
import type { AlertRule } from '../contracts/api.js';
import { isAdmin, type CallContext, type HandlersOf } from '../contracts/call.js';
import { HearthError } from '../contracts/errors.js';
import { redactWebhook } from '../security/redact.js';
import type { AlertEngine } from './alerts.js';
import { driftHistory, type DriftHistoryDeps } from './drift-history.js';
import { driftReport } from './monitor.js';
import { monitorReport, type MonitorDeps } from './performance.js';

/** What the drift, monitor, feedback and alerts methods use. */
export interface MonitoringHandlerDeps extends DriftHistoryDeps, MonitorDeps {
  readonly alerts: AlertEngine;
}

/** An alert rule as its caller may see it: a webhook's path and query are its key, shown to admins only. */
function visibleRule(rule: AlertRule, context: CallContext): AlertRule {
  return isAdmin(context) || rule.webhook === null ? rule : { ...rule, webhook: redactWebhook(rule.webhook) };
}

/** The monitoringMethods methods' handlers. */
export function monitoringHandlers(deps: MonitoringHandlerDeps): HandlersOf<typeof monitoringMethods> {
  return {
    'models.feedback': async ({ name, labels }) => {
      deps.registry.resolve(name);
      return deps.predictionLog.feedback(name, labels);
    },
    'models.drift': async ({ name, ...options }) => driftReport(deps, name, options),
    'models.drift-history': async ({ name, limit }) => driftHistory(deps, name, limit),
    'alerts.rules': async (_args, context) => deps.alerts.rules().map((rule) => visibleRule(rule, context)),
    'alerts.add-rule': async (rule, context) => {
      // A webhook makes the server POST wherever it points, and alerts.list reports how that went (delivered, a
      // status, a refused connection): a way to probe the box's network, so only an admin names one.
      if (rule.webhook !== undefined && !isAdmin(context))
        throw new HearthError('FORBIDDEN', 'only an admin may give an alert rule a webhook; add the rule without one');
      return visibleRule(deps.alerts.addRule(rule), context);
    },
    'alerts.remove-rule': async ({ name }) => {
      deps.alerts.removeRule(name);
      return { removed: name };
    },
    'alerts.list': async ({ firing }) => deps.alerts.list(firing === true),
    'alerts.check': async () => deps.alerts.check(),
    'models.monitor': async ({ name, ...options }) => monitorReport(deps, name, options),
  };
}
