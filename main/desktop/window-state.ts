import { z } from 'zod';

/*
 * The main window's size, position and maximised state, kept between runs in a file in the app's user-data folder,
 * and clamped on the way back to a display that exists now (a laptop undocked from the monitor it was on). Pure:
 * main.ts reads the file, asks Electron's screen for the displays' work areas, and applies the answer.
 */

/** A rectangle in screen coordinates (Electron's Rectangle). */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  bounds: Rect;
  maximized: boolean;
}

export const defaultSize = { width: 1280, height: 860 } as const;
export const minimumSize = { width: 640, height: 480 } as const;
/** How much of a window's title bar must lie on a display for it to be reachable with the mouse. */
const visibleMargin = { width: 120, height: 40 } as const;

const finite = z.number().finite();
const stateFile = z
  .object({
    bounds: z.object({ x: finite, y: finite, width: finite.positive(), height: finite.positive() }).strict(),
    maximized: z.boolean(),
  })
  .strict();

/** The saved state, or null when the file is missing, unreadable or not ours (the defaults apply then). */
export function parseWindowState(text: string | null): WindowState | null {
  if (text === null) return null;
  try {
    const parsed = stateFile.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function serializeWindowState(state: WindowState): string {
  return `${JSON.stringify({ bounds: roundRect(state.bounds), maximized: state.maximized })}\n`;
}

function roundRect(r: Rect): Rect {
  return { x: Math.round(r.x), y: Math.round(r.y), width: Math.round(r.width), height: Math.round(r.height) };
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
    height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)),
  };
}

/** A rectangle of the given size centred in an area, no larger than the area. */
function centred(area: Rect, size: { width: number; height: number }): Rect {
  const width = Math.min(size.width, area.width);
  const height = Math.min(size.height, area.height);
  return {
    x: Math.round(area.x + (area.width - width) / 2),
    y: Math.round(area.y + (area.height - height) / 2),
    width,
    height,
  };
}

/**
 * Where the window opens: the saved bounds when their title bar is on a display now, shrunk to fit that display's
 * work area and moved inside it; otherwise the saved size (or the default), centred on the primary display. The
 * displays are work areas (without task bars and docks); the first is the primary.
 */
export function restoreWindowState(saved: WindowState | null, displays: readonly Rect[]): WindowState {
  const primary = displays[0] ?? { x: 0, y: 0, ...defaultSize };
  if (saved === null) return { bounds: centred(primary, defaultSize), maximized: false };
  const size = {
    width: Math.max(minimumSize.width, saved.bounds.width),
    height: Math.max(minimumSize.height, saved.bounds.height),
  };
  // The title bar: the window's top strip, where it is dragged from.
  const titleBar = { ...saved.bounds, height: Math.min(visibleMargin.height, saved.bounds.height) };
  const home = displays.find((d) => {
    const o = overlap(titleBar, d);
    return o.width >= Math.min(visibleMargin.width, saved.bounds.width) && o.height >= titleBar.height;
  });
  if (home === undefined) return { bounds: centred(primary, size), maximized: saved.maximized };
  const width = Math.min(size.width, home.width);
  const height = Math.min(size.height, home.height);
  const x = Math.min(Math.max(saved.bounds.x, home.x), home.x + home.width - width);
  const y = Math.min(Math.max(saved.bounds.y, home.y), home.y + home.height - height);
  return { bounds: roundRect({ x, y, width, height }), maximized: saved.maximized };
}
