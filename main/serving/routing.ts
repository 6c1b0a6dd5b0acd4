import type { ServingRoute } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import type { ModelRegistry } from '../registry/registry.js';
import { CommitCache, nowIso, type Db } from '../store/database.js';
import { cachedStatement } from '../table/statements.js';

/** Canary and shadow routes per model. Read on every prediction, so kept in a CommitCache, as production is. */
export class Routes {
  private readonly cache: CommitCache<ServingRoute>;

  constructor(
    private readonly db: Db,
    private readonly registry: ModelRegistry,
  ) {
    this.cache = new CommitCache(db);
  }

  get(model: string): ServingRoute {
    return this.cache.get(model, () => {
      const row = cachedStatement(this.db, 'SELECT * FROM serving_routes WHERE model = ?').get(model) as
        { canary_version: number | null; canary_share: number; shadow_version: number | null } | undefined;
      return {
        model,
        canary:
          row === undefined || row.canary_version === null ? null : { version: row.canary_version, share: row.canary_share },
        shadow: row?.shadow_version ?? null,
      };
    });
  }

  set(model: string, change: { canary?: { version: number; share: number } | null; shadow?: number | null }): ServingRoute {
    for (const v of [change.canary?.version, change.shadow]) {
      if (typeof v === 'number') this.registry.version(model, v);
    }
    const current = this.get(model);
    const canary = change.canary === undefined ? current.canary : change.canary;
    const shadow = change.shadow === undefined ? current.shadow : change.shadow;
    if (canary !== null && canary.version === this.registry.resolve(model))
      throw new HearthError('VALIDATION_FAILED', `v${canary.version} is production already: a canary is another version`);
    this.db
      .prepare(
        `INSERT INTO serving_routes (model, canary_version, canary_share, shadow_version, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (model) DO UPDATE SET canary_version = excluded.canary_version, canary_share = excluded.canary_share,
           shadow_version = excluded.shadow_version, updated_at = excluded.updated_at`,
      )
      .run(model, canary?.version ?? null, canary?.share ?? 0, shadow, nowIso());
    this.cache.clear();
    return this.get(model);
  }
}
