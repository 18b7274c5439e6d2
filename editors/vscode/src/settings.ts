// Pure helpers of the extension: where the server binary is and what it is told at
// initialization. No `vscode` import, so that the node tests in ../test can load the compiled
// module (out/settings.js) without VS Code.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The settings of the `kg-ls` section that reach the server. */
export interface KgLsSettings {
  path?: string;
  kg?: { paths?: string[] };
  completion?: { limit?: number | null };
  symbols?: { limit?: number | null };
  /** `kg-ls.checks`: a level by check id. */
  checks?: Record<string, unknown>;
  /** `kg-ls.navigation.*`: only the values the user set (undefined otherwise). */
  navigation?: { inlayHints?: unknown; semanticTokens?: unknown; semanticTokensInCode?: unknown };
}

/** The server's `[navigation]` keys of the extension's `kg-ls.navigation.*` settings. */
const NAVIGATION_KEYS = [
  ['inlayHints', 'inlay_hints'],
  ['semanticTokens', 'semantic_tokens'],
  ['semanticTokensInCode', 'semantic_tokens_in_code'],
] as const;

/**
 * `initializationOptions` for kg-ls: only what the user set, so that an unset value leaves the
 * workspace's `.kg-ls.toml` in charge (initialization options take precedence over it).
 */
export function initializationOptions(s: KgLsSettings): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  const paths = (s.kg?.paths ?? []).filter((p) => typeof p === 'string' && p.trim() !== '');
  if (paths.length > 0) {
    options.kg = { paths };
  }
  for (const key of ['completion', 'symbols'] as const) {
    const limit = s[key]?.limit;
    if (typeof limit === 'number' && Number.isInteger(limit) && limit > 0) {
      options[key] = { limit };
    }
  }
  const checks = Object.entries(s.checks ?? {}).filter(([, level]) => typeof level === 'string' && level !== '');
  if (checks.length > 0) {
    options.checks = Object.fromEntries(checks);
  }
  const navigation = NAVIGATION_KEYS.filter(([key]) => typeof s.navigation?.[key] === 'boolean').map(
    ([key, server]) => [server, s.navigation?.[key]],
  );
  if (navigation.length > 0) {
    options.navigation = Object.fromEntries(navigation);
  }
  return options;
}

/**
 * The `settings` of `workspace/didChangeConfiguration`: the same values as
 * `initializationOptions`, under the section's name. vscode-languageclient's own
 * `synchronize.configurationSection` would send the whole section with its defaults
 * (`"kg": {"paths": []}`, `"limit": null`), which a server takes as set values that override
 * `.kg-ls.toml`; an unset value must not reach the server at all.
 */
export function configurationSettings(s: KgLsSettings): { 'kg-ls': Record<string, unknown> } {
  return { 'kg-ls': initializationOptions(s) };
}

/** Whether a `kg-ls.trace.server` value asks for a trace of the protocol. */
export function tracing(value: unknown): boolean {
  return value === 'messages' || value === 'compact' || value === 'verbose';
}

/** The outcome of looking for the server binary. */
export type Resolved = { ok: true; command: string } | { ok: false; tried: string };

/**
 * Finds the server: `configured` when set (`~` expanded, relative to `base` when relative),
 * else `kg-ls` on `PATH`. Returns what was tried when nothing executable is there.
 */
export function resolveServer(
  configured: string | undefined,
  base: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Resolved {
  const setting = (configured ?? '').trim();
  if (setting !== '') {
    let p = setting.startsWith('~') ? path.join(os.homedir(), setting.slice(1)) : setting;
    if (!path.isAbsolute(p) && p.includes(path.sep) && base) {
      p = path.resolve(base, p);
    }
    if (path.isAbsolute(p)) {
      return isExecutable(p) ? { ok: true, command: p } : { ok: false, tried: p };
    }
    // A bare name such as `kg-ls-nightly`: look it up on PATH like the default.
    return onPath(p, env, platform);
  }
  return onPath('kg-ls', env, platform);
}

function onPath(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Resolved {
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter((d) => d !== '');
  // Where `cargo install` puts binaries, in case the editor was started without the
  // shell's PATH (a common case on macOS when VS Code is started from the Dock).
  const cargoHome = env.CARGO_HOME ?? path.join(os.homedir(), '.cargo');
  dirs.push(path.join(cargoHome, 'bin'));
  const exts = platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';').concat(['']) : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext.toLowerCase());
      if (isExecutable(candidate)) {
        return { ok: true, command: candidate };
      }
    }
  }
  return { ok: false, tried: `${name} on PATH or in ${path.join(cargoHome, 'bin')}` };
}

function isExecutable(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) {
      return false;
    }
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
