import { environmentValue } from '../../settings/environment.js';
import { resetToken } from '../../api/auth.js';
import { type Command, UsageError, optional } from '../command.js';
import { flagFor, requiredFlagFor } from '../flags.js';

export const tokenCommand: Command = {
  name: 'token',
  summary: 'named API tokens, and the bootstrap token reset',
  usage: `  token create NAME --role admin|analyst|viewer|service [--expires-days N] | list | revoke NAME
                                      named API tokens (stored hashed, shown once): admin does everything, analyst
                                      ingests, trains and promotes, viewer reads, service predicts and ingests
  token reset                         replace the bootstrap (admin) token and print the new one; a running server
                                      takes it within 10 ms (unless it was started with $HEARTH_TOKEN)`,
  run: async ({ rest, flags, out, open }) => {
    const { engine, client } = open();
    const [sub, name] = rest;
    if (sub === 'reset') {
      const token = resetToken(engine.db);
      // Replacing the admin credential (and ending its console sessions) is the change an audit log exists for.
      engine.access.audit({
        actor: process.env.USER ?? 'local',
        role: 'admin',
        transport: 'in-process',
        remote: null,
        action: 'tokens.reset',
        target: 'bootstrap',
        outcome: 'ok',
        code: null,
      });
      // A server started with $HEARTH_TOKEN keeps that token for its life and never reads the stored one.
      const note =
        environmentValue('HEARTH_TOKEN') !== undefined
          ? '\nNote: HEARTH_TOKEN is set here; a server started with it keeps using it until restarted without it.'
          : '';
      out.result({ token }, () => `New bootstrap (admin) token (shown once): ${token}${note}`);
      return 0;
    }
    if (sub === 'create' && name !== undefined) {
      const role = requiredFlagFor(flags, 'role', 'tokens.create', 'role');
      const created = await client.call('tokens.create', {
        name,
        role,
        ...optional('expiresInDays', flagFor(flags, 'expires-days', 'tokens.create', 'expiresInDays')),
      });
      out.result(
        created,
        () =>
          `Token ${created.name} (${created.role}${created.expiresAt === null ? '' : `, expires ${created.expiresAt}`}), shown once:\n${created.token}`,
      );
      return 0;
    }
    if (sub === 'list') {
      const list = await client.call('tokens.list', {});
      out.result(list, () =>
        list.length === 0
          ? 'No named tokens (the bootstrap token is always admin).'
          : list
              .map(
                (t) =>
                  `${t.name}  ${t.role}  created ${t.createdAt}` +
                  (t.revokedAt !== null ? `  revoked ${t.revokedAt}` : t.expiresAt !== null ? `  expires ${t.expiresAt}` : ''),
              )
              .join('\n'),
      );
      return 0;
    }
    if (sub === 'revoke' && name !== undefined) {
      const revoked = await client.call('tokens.revoke', { name });
      out.result(revoked, () => `Revoked ${revoked.name}; its console sessions are closed.`);
      return 0;
    }
    throw new UsageError('token create NAME --role admin|analyst|viewer|service [--expires-days N] | list | revoke NAME | reset');
  },
};

export const auditCommand: Command = {
  name: 'audit',
  summary: 'the append-only audit log',
  usage: `  audit [--limit N]                   the append-only audit log: every change, refusal and failed sign-in`,
  run: async ({ flags, out, open }) => {
    const { client } = open();
    const entries = await client.call('audit.list', { ...optional('limit', flagFor(flags, 'limit', 'audit.list', 'limit')) });
    out.result(
      entries,
      () =>
        entries
          .map(
            (e) =>
              `${e.at}  ${e.actor}${e.role === null ? '' : ` (${e.role})`}  ${e.transport}${e.remote === null ? '' : ` ${e.remote}`}  ${e.action}${e.target === null ? '' : ` ${e.target}`}  ${e.outcome}${e.code === null ? '' : ` ${e.code}`}`,
          )
          .join('\n') || 'The audit log is empty.',
    );
    return 0;
  },
};
