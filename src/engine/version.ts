// A named import, so esbuild inlines this one field and not the whole manifest.
import { version } from '../../package.json';

/** The software's version, from package.json: the one place it is written. */
export const VERSION: string = version;
