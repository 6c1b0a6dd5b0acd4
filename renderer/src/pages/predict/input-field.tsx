import { useState } from 'react';
import type { ModelInput } from '../../../../main/contracts/api.js';
import { FieldError } from '../../components/field.js';

/** Past this many levels a select gets a search box: a long list is found by typing, not by scrolling. */
export const searchableAfter = 20;
/** The most matching levels a searched select lists at once. */
const shownLevels = 200;

type Cell = string | number | boolean | null;

/**
 * One field's text as the value models.predict takes, or what is wrong with it. Numbers must read as numbers (a
 * value outside the training range is allowed: it is a warning, see `rangeWarning`); a category must be one of the
 * levels the model knows when it lists them; a date must be a calendar date.
 */
export function readInput(input: ModelInput, text: string): { ok: true; value: Cell } | { ok: false; message: string } {
  const t = text.trim();
  if (t === '') return { ok: true, value: null };
  switch (input.kind) {
    case 'category':
      if (input.levels !== null && !input.levels.includes(text))
        return { ok: false, message: `“${t.slice(0, 40)}” is not one of the ${input.levels.length} levels the model knows` };
      return { ok: true, value: text };
    case 'boolean':
      return t === 'true' || t === 'false' ? { ok: true, value: t === 'true' } : { ok: false, message: 'choose true or false' };
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(t) && !Number.isNaN(Date.parse(`${t}T00:00:00Z`))
        ? { ok: true, value: t }
        : { ok: false, message: `“${t.slice(0, 40)}” is not a date (YYYY-MM-DD)` };
    case 'integer':
    case 'number': {
      const n = Number(t);
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) || !Number.isFinite(n))
        return { ok: false, message: `“${t.slice(0, 40)}” is not a number` };
      return { ok: true, value: n };
    }
  }
}

/** A number outside what the model was trained on: allowed, but said (trees answer as at the edge; lines extrapolate). */
export function rangeWarning(input: ModelInput, text: string): string | null {
  if ((input.kind !== 'number' && input.kind !== 'integer') || input.min === null || input.max === null) return null;
  const read = readInput(input, text);
  if (!read.ok || typeof read.value !== 'number') return null;
  return read.value < input.min || read.value > input.max
    ? `outside the training range ${input.min}–${input.max}: the model has seen no such value`
    : null;
}

function rangeHint(input: ModelInput): string | null {
  if (input.kind === 'date') return input.dates === null ? null : `training range ${input.dates.min} – ${input.dates.max}`;
  if (input.kind === 'category') return input.levels === null ? 'any text' : `${input.levels.length} levels`;
  if (input.min === null || input.max === null) return null;
  return `training range ${input.min}–${input.max}${input.kind === 'integer' ? ' (whole numbers)' : ''}`;
}

/** One input of the predict form, as the model's schema says it is: a select, a number, a date or text. */
export function InputField({
  input,
  value,
  onChange,
  error,
}: {
  input: ModelInput;
  value: string;
  onChange: (value: string) => void;
  error: string | undefined;
}) {
  const [search, setSearch] = useState('');
  const id = `input-${input.name}`;
  const hint = rangeHint(input);
  const warning = error === undefined ? rangeWarning(input, value) : null;
  const described = error !== undefined ? `${id}-error` : hint !== null ? `${id}-hint` : undefined;
  const common = {
    'data-testid': id,
    'aria-invalid': error !== undefined,
    'aria-describedby': described,
  };
  let control;
  if (input.kind === 'category' && input.levels !== null) {
    const needle = search.trim().toLowerCase();
    const matching =
      input.levels.length > searchableAfter && needle !== ''
        ? input.levels.filter((l) => l.toLowerCase().includes(needle))
        : input.levels;
    const shown = matching.slice(0, shownLevels);
    control = (
      <>
        {input.levels.length > searchableAfter && (
          <input
            type="search"
            data-testid={`${id}-search`}
            aria-label={`search the levels of ${input.name}`}
            placeholder={`search ${input.levels.length} levels`}
            value={search}
            onChange={(e) => {
              const next = e.target.value;
              setSearch(next);
              // One match is the one meant: choose it, so typing a level is enough.
              const found = input.levels!.filter((l) => l.toLowerCase().includes(next.trim().toLowerCase()));
              if (found.length === 1) onChange(found[0]!);
            }}
          />
        )}
        <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">(missing)</option>
          {value !== '' && !shown.includes(value) && <option value={value}>{value}</option>}
          {shown.map((level) => (
            <option key={level} value={level}>
              {level}
            </option>
          ))}
        </select>
        {matching.length > shown.length && (
          <span className="muted">
            {shown.length} of {matching.length} matching levels shown: search to narrow
          </span>
        )}
      </>
    );
  } else if (input.kind === 'boolean') {
    control = (
      <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">(missing)</option>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    );
  } else if (input.kind === 'date') {
    control = (
      <input
        {...common}
        type="date"
        value={value}
        min={input.dates?.min.slice(0, 10)}
        max={input.dates?.max.slice(0, 10)}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  } else {
    control = (
      <input
        {...common}
        inputMode={input.kind === 'category' ? undefined : 'decimal'}
        value={value}
        placeholder="empty = missing"
        onChange={(e) => onChange(e.target.value)}
      />
    );
  }
  return (
    <label>
      <span>
        {input.name} <span className="tag">{input.kind}</span>
      </span>
      {control}
      {hint !== null && (
        <span className="muted" id={`${id}-hint`} data-testid={`${id}-hint`}>
          {hint}
        </span>
      )}
      {warning !== null && (
        <span className="muted" data-testid={`${id}-warning`}>
          {warning}
        </span>
      )}
      <FieldError testId={id} message={error} />
    </label>
  );
}
