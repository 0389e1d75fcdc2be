import { join, resolve } from 'node:path';

/** The repository's root, whatever the current directory. */
export const repoRoot = resolve(import.meta.dirname, '../..');
/** Ignored folder for downloaded jars, the emulator's virtualenv, service data and logs. */
export const localDir = join(repoRoot, '.local');
